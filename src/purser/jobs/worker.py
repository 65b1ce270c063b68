"""Running jobs: Huey's consumer (worker threads + its scheduler for etas) plus our sweeper.

- `run_worker(queue)`: `purser worker` in the foreground. SIGTERM or Ctrl-C stops it gracefully (the
  jobs in hand finish; a second Ctrl-C stops at once — a job cut short is taken over by another
  worker once its lease ends, see `purser.jobs.queue`).
- `EmbeddedWorker(queue)`: the same consumer on daemon threads inside `purser serve` (the server
  owns the process's signals; `stop()` on shutdown).
- The sweeper re-pushes jobs nobody took in time (`HueyJobQueue.sweep`), every `sweep_seconds`.
- Both register and seed the daily `jobs.prune` chain (`purser.jobs.prune`), so the jobs table keeps
  only 30 days of finished jobs wherever jobs run.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from huey.consumer import Consumer

from purser.jobs.prune import register_prune, schedule_prune
from purser.jobs.queue import HueyJobQueue

__all__ = ["EmbeddedWorker", "Sweeper", "run_worker"]

log = logging.getLogger("purser.jobs")


class Sweeper:
    """A daemon thread calling `queue.sweep()` every `interval_seconds` (first at once)."""

    def __init__(self, queue: HueyJobQueue, *, interval_seconds: int) -> None:
        self.queue = queue
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="purser-sweeper", daemon=True)

    def start(self) -> None:
        """Start sweeping."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current sweep."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval_seconds + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                found = self.queue.sweep()
                if found:
                    log.info("sweeper: %d job(s) handed to the workers again", found)
            except Exception:  # the database or broker is briefly away: try again next round
                log.exception("sweeper: sweep failed; retrying in %ss", self.interval_seconds)
            self._stop.wait(self.interval_seconds)


def _housekeeping(queue: HueyJobQueue) -> None:
    """The chains every worker process keeps going (registered before the workers start)."""
    register_prune(queue)
    try:
        schedule_prune(queue)
    except Exception:  # the database is briefly away: the next start (or the chain) seeds it
        log.exception("jobs: the prune chain was not seeded")


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without signal handlers (only the main thread may install them; the server does)."""

    def _set_signal_handlers(self) -> None:
        return None


def _consumer_options(workers: int) -> dict[str, Any]:
    # Thread workers; Huey's periodic tasks are not used (the sweeper is ours); poll the queue at
    # most every second when idle so a pushed job starts promptly.
    delays = {"max_delay": 1.0, "initial_delay": 0.1}  # float-ok: seconds
    return {"workers": workers, "worker_type": "thread", "periodic": False, **delays}


class EmbeddedWorker:
    """Consumer and sweeper threads inside another process (`purser serve`)."""

    def __init__(self, queue: HueyJobQueue, *, workers: int = 2, sweep_seconds: int = 15) -> None:
        self.queue = queue
        self.consumer = _EmbeddedConsumer(queue.huey, **_consumer_options(workers))
        self.sweeper = Sweeper(queue, interval_seconds=sweep_seconds)
        self.started = False

    def start(self) -> None:
        """Start the worker threads, Huey's scheduler and the sweeper."""
        _housekeeping(self.queue)
        self.consumer.start()
        self.sweeper.start()
        self.started = True
        log.info("job worker threads started (%d)", self.consumer.workers)

    def stop(self) -> None:
        """Let the jobs in hand finish, then stop every thread."""
        if not self.started:
            return
        self.sweeper.stop()
        self.consumer.stop(graceful=True)
        self.started = False
        log.info("job worker threads stopped")


def run_worker(queue: HueyJobQueue, *, workers: int = 2, sweep_seconds: int = 15) -> None:
    """Run jobs in the foreground until SIGTERM or Ctrl-C (both graceful; a second Ctrl-C is immediate)."""
    consumer = Consumer(queue.huey, graceful_signal="TERM", **_consumer_options(workers))
    # Huey treats the non-graceful signal as "stop now"; an operator's Ctrl-C deserves the same
    # graceful stop as SIGTERM (the handler then re-arms Ctrl-C as an immediate stop).
    consumer._signal_actions[signal.SIGINT] = (False, True)
    _housekeeping(queue)
    sweeper = Sweeper(queue, interval_seconds=sweep_seconds)
    sweeper.start()
    try:
        consumer.run()
    finally:
        sweeper.stop()
