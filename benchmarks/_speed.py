"""The host's speed at the time of a run: a fixed piece of pure-Python work, timed in CPU.

The machine these benchmarks run on is shared, and the same code takes 20-45 % more CPU time in
one hour than in another (the neighbours share caches and memory bandwidth; CPU time counts
our instructions only, but not how fast they retire). `calibrate()` runs the same work every
time (dicts, strings, small objects, a JSON encoding and a regular expression: what a turn is
made of) and returns its CPU milliseconds, the median of a few tries (the least would hide a host
that is slow most of the time and fast in moments): printed beside each figure,
it says how fast the host was while it was measured, and a figure divided by it compares
between runs of different hours (`per_calibration`).
"""

from __future__ import annotations

import json
import re
import statistics
import time

_WORDS = re.compile(r"\b(refund|charge[ds]?|invoice|plan)\b")
_TEXT = "Hi, I was charged twice for my plan this month; please refund the extra charge on the invoice."


def _work() -> int:
    """About 3 M bytecode-level operations of the kinds a turn is made of; the result is checked."""
    total = 0
    table: dict[str, int] = {}
    for i in range(6_000):
        key = f"cus_{i % 700:04d}"
        table[key] = table.get(key, 0) + i
        row = {"id": key, "amount": i * 3, "currency": "eur", "lines": [i, i + 1, i + 2]}
        total += len(json.dumps(row, separators=(",", ":")))
        total += len(_WORDS.findall(_TEXT)) + len(_TEXT.lower().split())
    return total + len(table)


_EXPECTED = _work()


def calibrate(tries: int = 7) -> float:
    """CPU milliseconds of the fixed work: the median of `tries` runs (the host's speed now)."""
    times = []
    for _ in range(tries):
        started = time.process_time()
        if _work() != _EXPECTED:  # pragma: no cover - the work is deterministic
            raise RuntimeError("the calibration work changed its result")
        times.append(time.process_time() - started)
    return round(1000 * statistics.median(times), 2)


def per_calibration(cpu_ms: float, calibration_ms: float) -> float:
    """A CPU figure in units of the calibration work: comparable between runs at different host speeds."""
    return round(cpu_ms / calibration_ms, 4) if calibration_ms else float("nan")


__all__ = ["calibrate", "per_calibration"]
