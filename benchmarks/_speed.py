"""The host's speed at the time of a run: a fixed piece of pure-Python work, timed in CPU.

The machine these benchmarks run on is shared, and the same code takes 20-45 % more CPU time in
one hour than in another (the neighbours share caches and memory bandwidth; CPU time counts
our instructions only, but not how fast they retire). `calibrate()` runs the same work every
time (dicts, strings, small objects, a JSON encoding and a regular expression: what a turn is
made of) and returns its CPU milliseconds, the median of a few tries (the least would hide a host
that is slow most of the time and fast in moments): printed beside each figure,
it says how fast the host was while it was measured, and a figure divided by it compares
between runs of different hours.

A probe at the start and the end misses slow stretches in between, so `SpeedProbe` also runs the
same work once every few seconds for the whole run, in a subprocess at the lowest priority (about
1 % of one core): the median, least and largest of those samples say how fast the host was *during*
the measurement.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

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

CALIBRATION_NOTE = "a fixed piece of work, benchmarks/_speed.py: lower is a faster host"
"""What the calibration is, said beside each figure printed."""


def calibrate(tries: int = 7) -> float:
    """CPU milliseconds of the fixed work: the median of `tries` runs (the host's speed now)."""
    times = []
    for _ in range(tries):
        started = time.process_time()
        if _work() != _EXPECTED:  # pragma: no cover - the work is deterministic
            raise RuntimeError("the calibration work changed its result")
        times.append(time.process_time() - started)
    return round(1000 * statistics.median(times), 2)


class SpeedProbe:
    """The fixed work timed every `every` seconds in a niced subprocess, from `start()` to `stop()`."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> SpeedProbe:
        """Start sampling (the subprocess is stopped at `stop()`, or when this process exits)."""
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--probe", str(self.every)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        atexit.register(self._kill)
        return self

    def stop(self) -> dict[str, float | int]:
        """Stop sampling: the samples' count, median, least and largest (CPU ms; empty without samples)."""
        process, self._process = self._process, None
        if process is None:
            return {}
        process.terminate()
        out, _ = process.communicate(timeout=30)
        samples = [float(line) for line in out.split() if line.strip()]
        if not samples:
            return {}
        return {
            "samples": len(samples),
            "median_ms": round(statistics.median(samples), 2),
            "min_ms": round(min(samples), 2),
            "max_ms": round(max(samples), 2),
        }

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


def describe_probe(during: dict[str, float | int]) -> str:
    """The probe's samples as a clause to append to a line (an empty string when there were none)."""
    if not during:
        return ""
    return (
        f"; during the run: median {during['median_ms']:.1f} ms "
        f"(least {during['min_ms']:.1f}, largest {during['max_ms']:.1f}) over {during['samples']} samples"
    )


def _probe_main(every: float) -> None:
    """The probe subprocess: one timing of the work per line on stdout until terminated."""
    os.nice(19)  # the lowest priority: the measured processes come first
    try:
        while True:
            started = time.process_time()
            _work()
            print(f"{1000 * (time.process_time() - started):.2f}", flush=True)
            time.sleep(every)
    except (KeyboardInterrupt, BrokenPipeError):
        pass


__all__ = ["CALIBRATION_NOTE", "SpeedProbe", "calibrate", "describe_probe"]

if __name__ == "__main__" and sys.argv[1:2] == ["--probe"]:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _probe_main(float(sys.argv[2]))
