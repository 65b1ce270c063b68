"""Wake the job threads of this process when it hands Huey a job, instead of polling often.

An idle Huey consumer polls: each worker thread reads the queue, then sleeps a little longer each time
(up to `max_delay`), and its scheduler reads the schedule of delayed jobs every second. Inside
`purser serve` that is a few wake-ups and SQLite transactions per second on a machine whose cores
also answer HTTP turns. Most jobs a server runs are pushed by the same process (a webhook, a
refund's email, a retry), so `HueyJobQueue` rings this doorbell on every push and the embedded
threads sleep on it: a job pushed here starts at once, and the threads poll only rarely (for jobs
pushed by other processes: another server on the same queue, a CLI command).

- `ring()`: a job is ready now (wakes the worker threads);
- `ring(eta)`: a job was scheduled for `eta` (wakes the scheduler, which then sleeps until `eta`);
- `wait_ready(seen, seconds)` / `wait_scheduled(seen, seconds)`: sleep unless a ring came after the
  count `seen` was read (no lost wake-up between a poll that found nothing and the sleep).
"""

from __future__ import annotations

import heapq
import threading
import time
from datetime import datetime

__all__ = ["Doorbell"]


class Doorbell:
    """Counts pushes of ready and of scheduled jobs; threads sleep until the count moves or time is up."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._ready = 0
        self._scheduled = 0
        self._etas: list[float] = []  # float-ok: seconds; POSIX seconds of the scheduled pushes, soonest first

    @property
    def ready(self) -> int:
        """How many ready jobs were pushed so far (read before a poll, passed to `wait_ready`)."""
        return self._ready

    @property
    def scheduled(self) -> int:
        """How many delayed jobs were pushed so far (read before a poll, passed to `wait_scheduled`)."""
        return self._scheduled

    def ring(self, eta: datetime | None = None) -> None:
        """A job was pushed: ready now (`eta` None) or scheduled for `eta` (an aware datetime)."""
        with self._changed:
            if eta is None:
                self._ready += 1
            else:
                self._scheduled += 1
                heapq.heappush(self._etas, eta.timestamp())
            self._changed.notify_all()

    def wake_all(self) -> None:
        """Wake every sleeping thread (on stop: they see their stop flag at once)."""
        with self._changed:
            self._ready += 1
            self._scheduled += 1
            self._changed.notify_all()

    def wait_ready(self, seen: int, seconds: float) -> None:
        """Sleep up to `seconds` unless a ready job was pushed since the count was `seen`."""
        with self._changed:
            if self._ready == seen:
                self._changed.wait(seconds)

    def wait_scheduled(self, seen: int, seconds: float) -> None:
        """Sleep up to `seconds` unless a delayed job was pushed since the count was `seen`."""
        with self._changed:
            if self._scheduled == seen:
                self._changed.wait(seconds)

    def next_eta(self, *, read_at: float) -> float | None:  # float-ok: seconds
        """The soonest eta pushed here that a schedule read made at `read_at` (POSIX seconds) had not
        yet reached, or None; etas the read covered are forgotten."""
        with self._changed:
            etas = self._etas
            while etas and etas[0] <= read_at:
                heapq.heappop(etas)
            return etas[0] if etas else None

    @staticmethod
    def now() -> float:  # float-ok: seconds
        """POSIX seconds now (the clock of `next_eta`)."""
        return time.time()
