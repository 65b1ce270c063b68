"""The embedded worker sleeps on the queue's doorbell: idle it polls rarely, yet a job this process
pushes (now or for later) starts at once, and `stop()` does not wait for a sleep to end."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import SqliteHuey

from purser.jobs import EmbeddedWorker, HueyJobQueue
from purser.jobs.doorbell import Doorbell
from purser.ports.jobs import JobContext, Payload
from purser.store.db import Database
from purser.store.jobs import JobStore


class Done:
    """A handler noting when each key ran."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.ran = threading.Event()

    def __call__(self, _payload: Payload, ctx: JobContext) -> None:
        self.at[ctx.key] = time.monotonic()
        self.ran.set()


class CountingHuey(SqliteHuey):  # type: ignore[misc]
    """SqliteHuey counting the consumer's reads of the queue and of the schedule."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.dequeues = 0
        self.schedule_reads = 0

    def dequeue(self) -> object:
        self.dequeues += 1
        return super().dequeue()

    def read_schedule(self, timestamp: object = None) -> object:
        self.schedule_reads += 1
        return super().read_schedule(timestamp)


@pytest.fixture
def counting_huey(tmp_path: Path) -> CountingHuey:
    """A SqliteHuey that counts the consumer's reads."""
    return CountingHuey("purser", filename=str(tmp_path / "counted.jobs.db"), results=False)


@pytest.fixture
def counted_queue(db: Database, counting_huey: CountingHuey) -> HueyJobQueue:
    """A queue over the counting SqliteHuey."""
    return HueyJobQueue(JobStore(db), counting_huey)


def test_an_idle_worker_polls_rarely_and_a_push_here_starts_at_once(queue: HueyJobQueue) -> None:
    done = Done()
    queue.register("demo.work", done)
    worker = EmbeddedWorker(queue, workers=2, sweep_seconds=60)
    worker.start()
    try:
        time.sleep(2.5)  # the threads back off to sleeps far longer than the push below may wait
        pushed = time.monotonic()
        queue.enqueue("demo.work", {}, key="now")
        assert done.ran.wait(5)
        assert done.at["now"] - pushed < 1.0
        done.ran.clear()
        time.sleep(2.5)  # idle again: the scheduler sleeps long too
        due = time.monotonic() + 1.5
        queue.enqueue("demo.work", {}, key="later", eta=datetime.now(UTC) + timedelta(seconds=1.5))
        assert done.ran.wait(5)
        assert 0 <= done.at["later"] - due < 1.0  # at its eta, not at the scheduler's next idle look
    finally:
        started = time.monotonic()
        worker.stop()
        stopped = time.monotonic() - started
    # Redis workers block on the broker for its read timeout (1 s); SQLite ones wake on the doorbell.
    assert stopped < 3.0


def test_idle_threads_read_the_queue_a_few_times_a_minute(
    counting_huey: CountingHuey, counted_queue: HueyJobQueue
) -> None:
    worker = EmbeddedWorker(counted_queue, workers=2, sweep_seconds=60)
    worker.start()
    try:
        time.sleep(6)
    finally:
        worker.stop()
    # Huey's defaults (1 s cap, a schedule read every second) come to about 6 reads per thread here:
    # backing off from 0.1 s by doubling, the workers read about 6 times each in all, the scheduler once.
    assert counting_huey.dequeues <= 2 * 7
    assert counting_huey.schedule_reads <= 2


def test_a_ring_after_the_count_was_read_is_never_slept_through() -> None:
    bell = Doorbell()
    seen = bell.ready
    bell.ring()
    started = time.monotonic()
    bell.wait_ready(seen, 5.0)  # the ring came between the poll and the sleep: no sleep at all
    assert time.monotonic() - started < 1.0
    eta = datetime.now(UTC) + timedelta(seconds=30)
    bell.ring(eta)
    assert bell.next_eta(read_at=time.time()) == eta.timestamp()
    assert bell.next_eta(read_at=eta.timestamp()) is None  # a read at the eta covered it
