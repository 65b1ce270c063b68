"""Allocation tracing on request, for `web_memory.py --trace-from` (never loaded otherwise).

Python imports `sitecustomize` from this folder when it is on PYTHONPATH; web_memory.py puts it
there, with BENCH_TRACE_DIR, for the server it starts. In such a process SIGUSR2 starts
`tracemalloc` (so only what is allocated from then on is traced, and the server runs at full speed
until then), and SIGUSR1 writes a snapshot after a full collection (only live objects) to
BENCH_TRACE_DIR/snapshot-<n>.pickle, then an empty `.done` file beside it.
"""

from __future__ import annotations

import os

_DIR = os.environ.get("BENCH_TRACE_DIR")

if _DIR:
    import gc
    import signal
    import tracemalloc
    from pathlib import Path
    from types import FrameType

    _taken = [0]

    def _start(_signum: int, _frame: FrameType | None) -> None:
        tracemalloc.start(int(os.environ.get("BENCH_TRACE_FRAMES", "16")))

    def _snapshot(_signum: int, _frame: FrameType | None) -> None:
        gc.collect()
        _taken[0] += 1
        path = Path(str(_DIR)) / f"snapshot-{_taken[0]}.pickle"
        tracemalloc.take_snapshot().dump(str(path))
        path.with_suffix(".done").touch()

    signal.signal(signal.SIGUSR2, _start)
    signal.signal(signal.SIGUSR1, _snapshot)
