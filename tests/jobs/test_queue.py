"""The job queue on SqliteHuey and on Redis: idempotent enqueue, real worker threads, retries with
backoff, dead rows, lease take-over, the sweeper and `run_due`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey
from hypothesis import given
from hypothesis import strategies as st

from purser.jobs import EmbeddedWorker, HueyJobQueue, InvalidJob
from purser.ports.jobs import JobContext, JobLeaseLost, Payload, UnknownJob
from purser.store.db import Database
from purser.store.jobs import JobStore, finish_in, parse_stamp, stamp


def _now() -> datetime:
    return datetime.now(UTC)


class Recorder:
    """A handler that records its calls and fails its first `failures` attempts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, object], JobContext]] = []
        self.done = threading.Event()

    def __call__(self, payload: Payload, ctx: JobContext) -> None:
        self.calls.append((dict(payload), ctx))
        if ctx.attempt <= self.failures:
            raise RuntimeError(f"boom {ctx.attempt}")
        self.done.set()


def test_enqueue_is_idempotent_and_a_worker_runs_the_job_once(queue: HueyJobQueue) -> None:
    handler = Recorder()
    queue.register("demo.work", handler)
    assert queue.enqueue("demo.work", {"n": 1}, key="k1") is True
    assert queue.enqueue("demo.work", {"n": 2}, key="k1") is False
    worker = EmbeddedWorker(queue, workers=2, sweep_seconds=1)
    worker.start()
    try:
        assert handler.done.wait(10)
    finally:
        worker.stop()
    record = queue.get("k1")
    assert record is not None and record.status == "done" and record.attempts == 1
    assert [c[0] for c in handler.calls] == [{"n": 1}]
    assert queue.run("k1") is False  # a stray message for a done job changes nothing


def test_bad_input_is_refused_and_nothing_is_stored(queue: HueyJobQueue) -> None:
    queue.register("demo.work", Recorder())
    with pytest.raises(UnknownJob, match=r"no\.such"):
        queue.enqueue("no.such", {}, key="k")
    with pytest.raises(InvalidJob, match="amount"):
        queue.enqueue("demo.work", {"amount": 1.5}, key="k")  # float-ok: the float is what is refused
    with pytest.raises(InvalidJob, match="key"):
        queue.enqueue("demo.work", {}, key=" ")
    with pytest.raises(InvalidJob, match="aware"):
        queue.enqueue("demo.work", {}, key="k", eta=datetime(2030, 1, 1))
    with pytest.raises(InvalidJob, match="kind"):
        queue.register("Bad Kind", Recorder())
    assert queue.records() == []


def test_run_due_runs_due_jobs_in_order_and_leaves_later_ones(queue: HueyJobQueue) -> None:
    order: list[str] = []
    queue.register("demo.work", lambda payload, ctx: order.append(ctx.key))
    now = _now()
    queue.enqueue("demo.work", {}, key="later", eta=now + timedelta(days=2))
    queue.enqueue("demo.work", {}, key="second", eta=now - timedelta(minutes=1))
    queue.enqueue("demo.work", {}, key="first", eta=now - timedelta(minutes=5))
    assert queue.run_due() == 2
    assert order == ["first", "second"]
    assert queue.run_due(now=now + timedelta(days=3)) == 1
    assert order == ["first", "second", "later"]
    assert queue.run_due(now=now + timedelta(days=3)) == 0


def test_failures_are_retried_with_exponential_backoff_then_succeed(queue: HueyJobQueue) -> None:
    handler = Recorder(failures=2)
    queue.register("demo.flaky", handler, retries=3, retry_delay_seconds=10)
    queue.enqueue("demo.flaky", {}, key="f1")
    assert queue.run_due() == 1
    first = queue.get("f1")
    assert first is not None and first.status == "failed" and first.attempts == 1
    assert first.last_error == "RuntimeError: boom 1"
    assert timedelta(seconds=10) <= first.run_at - first.created_at < timedelta(seconds=20)
    assert queue.run_due() == 0  # not due yet
    before = _now()
    queue.run_due(now=first.run_at)
    second = queue.get("f1")
    assert second is not None and second.status == "failed" and second.attempts == 2
    assert timedelta(seconds=20) <= second.run_at - before < timedelta(seconds=30)  # 10 s, then 20 s
    queue.run_due(now=second.run_at)
    third = queue.get("f1")
    assert third is not None and third.status == "done" and third.attempts == 3
    assert [c[1].attempt for c in handler.calls] == [1, 2, 3]
    assert queue.backoff("demo.flaky", 4) == timedelta(seconds=80)
    assert queue.backoff("demo.flaky", 40) == timedelta(seconds=queue.max_backoff_seconds)


def test_after_the_last_retry_the_job_is_dead_visible_and_requeueable(queue: HueyJobQueue) -> None:
    handler = Recorder(failures=99)
    queue.register("demo.broken", handler, retries=1, retry_delay_seconds=1)
    queue.enqueue("demo.broken", {}, key="d1")
    later = _now() + timedelta(hours=1)
    queue.run_due()
    queue.run_due(now=later)
    queue.run_due(now=later)
    dead = queue.get("d1")
    assert dead is not None and dead.status == "dead" and dead.attempts == 2
    assert dead.last_error == "RuntimeError: boom 2" and dead.finished_at is not None
    assert [r.key for r in queue.records(status="dead")] == ["d1"]
    handler.failures = 0
    assert queue.requeue("d1") is True
    assert queue.requeue("d1") is False
    assert queue.run_due() == 1
    again = queue.get("d1")
    assert again is not None and again.status == "done"


def test_a_claim_whose_lease_ran_out_is_taken_over_and_the_old_attempt_is_fenced(queue: HueyJobQueue) -> None:
    handler = Recorder()
    queue.register("demo.work", handler)
    queue.enqueue("demo.work", {}, key="l1")
    # A worker claims the job and dies: its lease (2 s) started 10 s ago.
    stale = queue.store.claim(
        "l1", now=_now() - timedelta(seconds=10), due_by=_now(), lease_seconds=2, kinds=queue.kinds
    )
    assert stale is not None and stale.attempts == 1
    held = queue.store.claim("l1", now=_now(), due_by=_now(), lease_seconds=300, kinds=queue.kinds)
    assert held is not None and held.attempts == 2
    assert queue.run("l1") is False  # the second claim holds it now
    with pytest.raises(JobLeaseLost), queue.store.db.begin() as conn:
        finish_in(conn, "l1", 1)
    assert queue.store.finish("l1", 1, now=_now()) is False
    assert queue.store.finish("l1", 2, now=_now()) is True
    record = queue.get("l1")
    assert record is not None and record.status == "done" and record.attempts == 2


def test_the_runner_retakes_an_expired_lease(queue: HueyJobQueue) -> None:
    handler = Recorder()
    queue.register("demo.work", handler)
    queue.enqueue("demo.work", {}, key="l2")
    queue.store.claim("l2", now=_now() - timedelta(seconds=10), due_by=_now(), lease_seconds=2, kinds=queue.kinds)
    assert queue.run_due() == 1
    assert [c[1].attempt for c in handler.calls] == [2]


def test_the_sweeper_hands_over_a_job_whose_message_was_lost(queue: HueyJobQueue) -> None:
    handler = Recorder()
    queue.register("demo.work", handler)
    # The process died between the insert and the push: the row exists, no message does.
    assert queue.store.insert("demo.work", {}, key="s1", run_at=_now() - timedelta(seconds=5), max_attempts=3)
    worker = EmbeddedWorker(queue, workers=1, sweep_seconds=1)
    worker.start()
    try:
        assert handler.done.wait(10), "the sweeper did not hand the job to a worker"
    finally:
        worker.stop()
    record = queue.get("s1")
    assert record is not None and record.status == "done"


def test_a_job_interrupted_more_often_than_it_may_run_is_dead(queue: HueyJobQueue) -> None:
    handler = Recorder()
    queue.register("demo.work", handler, retries=1)
    queue.enqueue("demo.work", {}, key="p1")
    for ago in (20, 10):  # two workers died holding it
        assert queue.store.claim(
            "p1", now=_now() - timedelta(seconds=ago), due_by=_now(), lease_seconds=2, kinds=queue.kinds
        )
    assert queue.run("p1") is True
    record = queue.get("p1")
    assert record is not None and record.status == "dead" and "interrupted" in (record.last_error or "")
    assert handler.calls == []


def test_a_job_enqueued_while_the_broker_is_down_is_stored_and_swept_later(db: Database, tmp_path: Path) -> None:
    down = HueyJobQueue(JobStore(db), RedisHuey("purser-down", url="redis://127.0.0.1:1/0", results=False))
    handler = Recorder()
    down.register("demo.work", handler)
    assert down.enqueue("demo.work", {"n": 1}, key="b1") is True  # stored; the push failed and was logged
    record = down.get("b1")
    assert record is not None and record.status == "queued"
    up = HueyJobQueue(JobStore(db), SqliteHuey("up", filename=str(tmp_path / "up.db"), results=False))
    up.register("demo.work", handler)
    assert up.sweep() == 0  # not overdue yet: a worker may still take it (the grace is 30 s by default)
    later = _now() + timedelta(seconds=60)
    assert up.sweep(now=later) == 1 and up.sweep(now=later) == 0  # handed over once
    worker = EmbeddedWorker(up, workers=1, sweep_seconds=60)
    worker.start()
    try:
        assert handler.done.wait(10)
    finally:
        worker.stop()
    assert [c[0] for c in handler.calls] == [{"n": 1}]


@given(
    delay=st.integers(min_value=1, max_value=10_000),
    attempts=st.lists(st.integers(min_value=1, max_value=200), min_size=2, max_size=20),
)
def test_backoff_doubles_from_the_delay_never_shrinks_and_is_capped(delay: int, attempts: list[int]) -> None:
    queue = HueyJobQueue(JobStore.__new__(JobStore), MemoryHuey("props", results=False))
    queue.register("demo.work", Recorder(), retry_delay_seconds=delay)
    assert queue.backoff("demo.work", 1) == timedelta(seconds=min(delay, queue.max_backoff_seconds))
    waits = [queue.backoff("demo.work", n) for n in sorted(attempts)]
    assert waits == sorted(waits)
    assert all(timedelta(0) < wait <= timedelta(seconds=queue.max_backoff_seconds) for wait in waits)


@given(st.lists(st.datetimes(timezones=st.just(UTC)), min_size=2, max_size=30))
def test_stored_stamps_sort_as_text_like_the_moments_they_stand_for(moments: list[datetime]) -> None:
    stamps = [stamp(m) for m in moments]
    assert [parse_stamp(s) for s in stamps] == moments
    assert sorted(stamps) == [stamp(m) for m in sorted(moments)]


def _race(queue: HueyJobQueue, key: str, racers: int) -> list[bool]:
    barrier = threading.Barrier(racers)
    results: list[bool] = []

    def run() -> None:
        barrier.wait()
        results.append(queue.run(key))

    threads = [threading.Thread(target=run) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_workers_racing_for_a_job_on_the_sqlite_database_run_it_once(queue: HueyJobQueue) -> None:
    handler = Recorder()
    queue.register("demo.work", handler)
    queue.enqueue("demo.work", {}, key="race")
    assert sorted(_race(queue, "race", 6)) == [False] * 5 + [True]
    assert len(handler.calls) == 1


def test_workers_racing_for_a_job_on_postgresql_run_it_once(pg_url: str) -> None:
    database = Database(pg_url)
    database.create_all()
    try:
        queue = HueyJobQueue(JobStore(database), MemoryHuey("race", results=False))
        handler = Recorder()
        queue.register("demo.work", handler)
        for n in range(5):
            queue.enqueue("demo.work", {"n": n}, key=f"race-{n}")
            assert sorted(_race(queue, f"race-{n}", 6)) == [False] * 5 + [True]
        assert sorted(c[0]["n"] for c in handler.calls) == [0, 1, 2, 3, 4]  # type: ignore[type-var]
    finally:
        database.dispose()


def test_run_due_reaches_past_the_jobs_it_already_ran(queue: HueyJobQueue) -> None:
    queue.register("demo.flaky", Recorder(failures=99), retries=3, retry_delay_seconds=1)
    queue.register("demo.work", ok := Recorder())
    now = _now()
    for n in range(120):  # fail, and are due again before `later`: still due, already run this call
        queue.enqueue("demo.flaky", {}, key=f"flaky-{n:03d}", eta=now - timedelta(minutes=10))
    queue.enqueue("demo.work", {}, key="last", eta=now + timedelta(hours=1))  # sorts after all their retries
    later = now + timedelta(days=1)
    assert queue.run_due(now=later) == 121
    assert len(ok.calls) == 1


def test_a_process_without_the_handler_leaves_the_job_to_one_that_has_it(queue: HueyJobQueue) -> None:
    queue.register("demo.work", Recorder())
    queue.enqueue("demo.work", {}, key="other-1")
    partial = HueyJobQueue(queue.store, MemoryHuey("partial", results=False))  # a back-office command's queue
    partial.register("demo.else", Recorder())
    assert partial.run_due() == 0 and partial.run("other-1") is False
    record = queue.get("other-1")
    assert record is not None and record.status == "queued" and record.attempts == 0
    assert queue.run_due() == 1
