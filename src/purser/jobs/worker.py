"""Running jobs: Huey's consumer (worker threads + its scheduler for etas) plus our sweeper.

- `run_worker(queue)`: `purser worker` in the foreground. SIGTERM or Ctrl-C stops it gracefully (the
  jobs in hand finish; a second Ctrl-C stops at once — a job cut short is taken over by another
  worker once its lease ends, see `purser.jobs.queue`).
- `EmbeddedWorker(queue)`: the same consumer on daemon threads inside `purser serve` (the server
  owns the process's signals; `stop()` on shutdown). Its threads sleep on the queue's doorbell
  (`purser.jobs.doorbell`): a job this process pushes starts at once, and an idle server polls the
  queue and the schedule only every `EMBEDDED_IDLE_SECONDS` (for jobs other processes push), rather
  than several times a second on cores that answer HTTP turns.
- The sweeper re-pushes jobs nobody took in time (`HueyJobQueue.sweep`), every `sweep_seconds`.
- Both register and seed the daily `jobs.prune` chain (`purser.jobs.prune`), so the jobs table keeps
  only 30 days of finished jobs wherever jobs run.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from huey import Huey
from huey.consumer import Consumer, Scheduler, Worker

from purser.jobs.doorbell import Doorbell
from purser.jobs.prune import register_prune, schedule_prune
from purser.jobs.queue import HueyJobQueue

__all__ = ["EMBEDDED_IDLE_SECONDS", "EmbeddedWorker", "Sweeper", "run_worker"]

log = logging.getLogger("purser.jobs")

EMBEDDED_IDLE_SECONDS = 10.0  # float-ok: seconds
"""The longest an idle embedded worker thread or scheduler sleeps between two looks at the queue: the
delay before a job pushed by another process (not rung here) starts, at worst."""

_SCHEDULE_SLACK_SECONDS = 0.01  # float-ok: seconds; read the schedule just after an eta, not just before


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


class _DoorbellWorker(Worker):  # type: ignore[misc]
    """A Huey worker thread that sleeps on the doorbell: woken by a push of this process, else after its delay."""

    # Huey's: the current idle delay, `max_delay` its cap, `backoff` its growth per empty poll.
    delay: float  # float-ok: seconds
    max_delay: float  # float-ok: seconds
    backoff: float  # float-ok: seconds

    def __init__(self, *args: Any, doorbell: Doorbell, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.doorbell = doorbell
        self._seen = doorbell.ready

    def loop(self, now: Any = None) -> None:
        # The count before the poll: a push after it (the poll may have missed it) cuts the sleep short.
        self._seen = self.doorbell.ready
        super().loop(now)

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        self.doorbell.wait_ready(self._seen, self.delay)
        self.delay *= self.backoff


class _DoorbellScheduler(Scheduler):  # type: ignore[misc]
    """Huey's scheduler (delayed jobs to the queue at their eta) sleeping until the next eta pushed here,
    a new scheduled push, or `longest` seconds, instead of waking every second."""

    def __init__(self, huey: Huey, stop_flag: Any, interval: int, periodic: bool, *, doorbell: Doorbell) -> None:
        super().__init__(huey, stop_flag, interval, periodic)
        self.doorbell = doorbell
        self.longest = EMBEDDED_IDLE_SECONDS

    def loop(self, now: Any = None) -> None:
        seen = self.doorbell.scheduled
        read_at = self.doorbell.now()
        try:
            due = self.huey.read_schedule(now)
        except Exception:
            self._logger.exception("Error reading schedule.")
            due = []
        for task in due:
            try:
                self.huey.enqueue(task)
            except Exception:
                self._logger.exception("Error enqueueing %s.", task)
        if due:
            self.doorbell.ring()  # the worker threads sleep on the doorbell, not on the queue
        if self.stop_flag.is_set():
            return
        eta = self.doorbell.next_eta(read_at=read_at)
        seconds = self.longest
        if eta is not None:
            seconds = min(seconds, max(eta - self.doorbell.now(), 0.0) + _SCHEDULE_SLACK_SECONDS)  # float-ok: seconds
        self.doorbell.wait_scheduled(seen, seconds)


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without signal handlers (only the main thread may install them; the server does),
    its threads sleeping on the queue's doorbell."""

    def __init__(self, huey: Huey, *, doorbell: Doorbell, **options: Any) -> None:
        self.doorbell = doorbell  # before Consumer.__init__, which creates the threads' loops
        super().__init__(huey, **options)

    def _create_worker(self) -> Worker:
        return _DoorbellWorker(
            huey=self.huey,
            stop_flag=self.stop_flag,
            default_delay=self.default_delay,
            max_delay=self.max_delay,
            backoff=self.backoff,
            max_tasks=self.max_tasks,
            doorbell=self.doorbell,
        )

    def _create_scheduler(self) -> Scheduler:
        return _DoorbellScheduler(
            self.huey, self.stop_flag, self.scheduler_interval, self.periodic, doorbell=self.doorbell
        )

    def _set_signal_handlers(self) -> None:
        return None

    def stop(self, graceful: bool = False) -> None:
        """Set the stop flag, wake the sleeping threads so they see it, then stop as Huey does."""
        self.stop_flag.set()
        self.doorbell.wake_all()
        super().stop(graceful=graceful)


def _consumer_options(workers: int) -> dict[str, Any]:
    # Thread workers; Huey's periodic tasks are not used (the sweeper is ours); poll the queue at
    # most every second when idle so a pushed job starts promptly.
    delays = {"max_delay": 1.0, "initial_delay": 0.1}  # float-ok: seconds
    return {"workers": workers, "worker_type": "thread", "periodic": False, **delays}


class EmbeddedWorker:
    """Consumer and sweeper threads inside another process (`purser serve`)."""

    def __init__(self, queue: HueyJobQueue, *, workers: int = 2, sweep_seconds: int = 15) -> None:
        self.queue = queue
        # Woken by the doorbell, the threads may back off fast and far while idle.
        backoff = 2.0  # float-ok: a factor of seconds
        options = {**_consumer_options(workers), "max_delay": EMBEDDED_IDLE_SECONDS, "backoff": backoff}
        self.consumer = _EmbeddedConsumer(queue.huey, doorbell=queue.doorbell, **options)
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
