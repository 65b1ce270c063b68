"""Allocation tracing and a memory census on request, for `web_memory.py` (never loaded otherwise).

Python imports `sitecustomize` from this folder when it is on PYTHONPATH; web_memory.py puts it
there, with BENCH_TRACE_DIR, for the server it starts. In such a process:

- SIGUSR2 starts `tracemalloc` (so only what is allocated from then on is traced, and the server runs
  at full speed until then);
- SIGUSR1 runs a full collection (only live objects count), writes a census to
  BENCH_TRACE_DIR/census-<n>.json, and, when tracing, a snapshot of the traced allocations to
  BENCH_TRACE_DIR/snapshot-<n>.pickle; then an empty `snapshot-<n>.done` file says both are written.

The census says where memory sits without tracing: live objects by type, the fill of every cache
(`functools.lru_cache` wrappers and the dicts, lists and sets held by module globals and by the
attributes of objects of the server's own libraries), the interpreter's small-object allocator
(its arenas of 1 MiB and how full they are), glibc malloc's totals over all its arenas, and the
threads (each thread that allocates may get a malloc arena of its own).
"""

from __future__ import annotations

import os

_DIR = os.environ.get("BENCH_TRACE_DIR")

if _DIR:
    import gc
    import json
    import signal
    import sys
    import tempfile
    import threading
    import tracemalloc
    from collections import Counter
    from collections.abc import Callable
    from pathlib import Path
    from types import FrameType
    from typing import Any

    _taken = [0]
    _gc = [0, 0]  # objects the collector freed before this sample; found by its full collection

    _LIBRARIES = ("purser", "sqlalchemy", "starlette", "fastapi", "uvicorn", "pydantic", "anyio", "httpx", "h11")
    """Top-level packages whose objects' attributes are looked into for containers (caches, pools)."""
    _SHOWN = 40
    """Entries kept in each ranking of the census."""

    def _start(_signum: int, _frame: FrameType | None) -> None:
        tracemalloc.start(int(os.environ.get("BENCH_TRACE_FRAMES", "16")))

    def _library(name: object) -> bool:
        return isinstance(name, str) and name.split(".", 1)[0] in _LIBRARIES

    def _sized(value: object) -> int | None:
        if isinstance(value, (dict, list, set, frozenset, tuple)) and not isinstance(value, type):
            return len(value)
        return None

    def _caches(objects: list[Any]) -> dict[str, Any]:
        """Fill of lru caches, module-level containers and containers in library objects' attributes."""
        lru: dict[str, list[int | None]] = {}  # name: [size, bound, hits, misses]
        held: Counter[str] = Counter()
        for name, module in list(sys.modules.items()):
            if not _library(name):
                continue
            for attr, value in list(vars(module).items()):
                info = getattr(value, "cache_info", None)
                if callable(info) and hasattr(value, "cache_clear"):
                    with _quiet():
                        hits = info()
                        lru[f"{name}.{attr}"] = [hits.currsize, hits.maxsize, hits.hits, hits.misses]
                size = _sized(value)
                if size:
                    held[f"{name}.{attr}"] += size
        instances: Counter[str] = Counter()
        for obj in objects:
            kind = type(obj)
            if isinstance(obj, type) or not _library(getattr(kind, "__module__", None)):
                continue
            try:  # a library's placeholder object may raise on any attribute
                attrs = object.__getattribute__(obj, "__dict__")
            except Exception:
                continue
            if not isinstance(attrs, dict):
                continue
            for attr, value in list(attrs.items()):
                size = _sized(value)
                if size:
                    instances[f"{kind.__module__}.{kind.__qualname__}.{attr}"] += size
        return {
            "lru": dict(sorted(lru.items(), key=lambda kv: -(kv[1][0] or 0))),
            "module_containers": dict(held.most_common(_SHOWN)),
            "instance_containers": dict(instances.most_common(_SHOWN)),
        }

    class _quiet:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> bool:
            return True

    def _stderr_of(write: Callable[[], object]) -> str:
        """What `write` prints on file descriptor 2 (C code's stderr), captured."""
        with tempfile.TemporaryFile(mode="w+b") as out:
            sys.stderr.flush()
            saved = os.dup(2)
            try:
                os.dup2(out.fileno(), 2)
                write()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            out.seek(0)
            return out.read().decode(errors="replace")

    def _pymalloc() -> dict[str, int]:
        """The small-object allocator's totals, parsed from `sys._debugmallocstats()`."""
        text = _stderr_of(sys._debugmallocstats)
        wanted = {
            "# arenas allocated current": "arenas",
            "# arenas highwater mark": "arenas_highwater",
            "# bytes in allocated blocks": "bytes_used",
            "# bytes in available blocks": "bytes_free_in_pools",
            "# bytes lost to pool headers": "pool_headers",
        }
        found: dict[str, int] = {}
        for line in text.splitlines():
            key, _, value = line.rpartition("=")
            key = key.strip()
            if key in wanted and wanted[key] not in found:
                with _quiet():
                    found[wanted[key]] = int(value.strip().replace(",", ""))
            elif "unused pools" in key:
                with _quiet():
                    found["bytes_in_unused_pools"] = int(value.strip().replace(",", ""))
        return found

    def _glibc() -> dict[str, int]:
        """glibc malloc's totals over all arenas (`mallinfo2`): in use, free inside the heaps, mmapped."""
        import ctypes

        class Mallinfo2(ctypes.Structure):
            _fields_ = [
                (name, ctypes.c_size_t)
                for name in (
                    "arena",
                    "ordblks",
                    "smblks",
                    "hblks",
                    "hblkhd",
                    "usmblks",
                    "fsmblks",
                    "uordblks",
                    "fordblks",
                    "keepcost",
                )
            ]

        try:
            libc = ctypes.CDLL(None)
            libc.mallinfo2.restype = Mallinfo2
            info = libc.mallinfo2()
            arenas = _stderr_of(libc.malloc_stats).count("Arena ")
        except (OSError, AttributeError):
            return {}
        return {
            "arenas": arenas,
            "heap_bytes": info.arena,
            "in_use_bytes": info.uordblks,
            "free_bytes": info.fordblks,
            "mmapped_bytes": info.hblkhd,
            "top_releasable_bytes": info.keepcost,
        }

    def _sqlite() -> dict[str, int]:
        """SQLite's own heap (page caches, prepared statements, schema) over every connection of the
        process: `sqlite3_memory_used`, from the library `sqlite3` loaded (memory status is on by default)."""
        import ctypes
        import ctypes.util

        if "sqlite3" not in sys.modules:
            return {}
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
            lib.sqlite3_memory_used.restype = ctypes.c_int64
            lib.sqlite3_memory_highwater.restype = ctypes.c_int64
            lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
            return {"memory_used_bytes": lib.sqlite3_memory_used(), "highwater_bytes": lib.sqlite3_memory_highwater(0)}
        except (OSError, AttributeError):
            return {}

    def _mappings() -> dict[str, int]:
        """Resident KiB of this process by kind of mapping (/proc/self/smaps): glibc's main heap, its
        other arenas' heaps (64 MiB-aligned reservations), thread stacks (right above a guard page),
        the rest of the anonymous memory (pymalloc's 1 MiB arenas and malloc's large mmapped blocks:
        the kernel merges adjacent ones, so they are one kind), and files."""
        kinds: Counter[str] = Counter()
        kind = ""
        previous = (0, "")  # end address and permissions of the mapping before
        with open("/proc/self/smaps") as smaps:
            for line in smaps:
                head = line.split()
                if "-" in head[0] and not line[0].isupper():
                    start, end = (int(x, 16) for x in head[0].split("-"))
                    path = head[5] if len(head) > 5 else ""
                    if path == "[heap]":
                        kind = "malloc main heap"
                    elif path.startswith("["):
                        kind = path
                    elif path:
                        kind = "files"
                    elif start % (64 << 20) == 0 and end - start <= 64 << 20:
                        kind = "malloc thread heaps"
                    elif previous == (start, "---p"):
                        kind = "thread stacks"
                    else:
                        kind = "pymalloc arenas and large blocks"
                    previous = (end, head[1])
                elif head[0] == "Rss:":
                    kinds[kind] += int(head[1])
        return dict(kinds.most_common())

    def _census(number: int) -> None:
        # `purser serve` froze its start-up objects (purser.heap.settle), which gc.get_objects() no
        # longer lists: hand them back to the collector for the count, and freeze again after.
        frozen = gc.get_freeze_count()
        gc.unfreeze()
        try:
            _count(number, frozen)
        finally:
            if frozen:
                gc.freeze()

    def _count(number: int, frozen: int) -> None:
        objects = gc.get_objects()
        types = Counter(type(o).__qualname__ for o in objects)
        census = {
            "gc_objects": len(objects),
            "gc_frozen_before": frozen,
            "types": dict(types.most_common(_SHOWN)),
            "caches": _caches(objects),
            "threads": threading.active_count(),
            "pymalloc": _pymalloc(),
            "gc": {"collected": _gc[0], "pending_at_sample": _gc[1]},
            "glibc": _glibc(),
            "sqlite": _sqlite(),
            "modules": len(sys.modules),
            "module_names": sorted(sys.modules),
            "rss_kib_by_mapping": _mappings(),
        }
        del objects
        path = Path(str(_DIR)) / f"census-{number}.json"
        path.write_text(json.dumps(census, indent=1))

    def _snapshot(_signum: int, _frame: FrameType | None) -> None:
        # What the collector freed so far (cyclic garbage: objects no reference count frees), and
        # what this sample's full collection finds waiting.
        _gc[:] = [sum(s["collected"] for s in gc.get_stats()), gc.collect()]
        _taken[0] += 1
        path = Path(str(_DIR)) / f"snapshot-{_taken[0]}.pickle"
        try:
            if tracemalloc.is_tracing():
                tracemalloc.take_snapshot().dump(str(path))
            _census(_taken[0])
        except Exception as exc:  # never into the server's own code: say so in the census instead
            (Path(str(_DIR)) / f"census-{_taken[0]}.json").write_text(json.dumps({"error": repr(exc)}))
        finally:
            path.with_suffix(".done").touch()

    signal.signal(signal.SIGUSR2, _start)
    signal.signal(signal.SIGUSR1, _snapshot)
