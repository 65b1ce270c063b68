"""`jobs.prune` on SQLite and PostgreSQL: done jobs older than the keep period go, in batches; nothing else
does; a second run finds nothing; the recurring job runs its slot and seeds the next; workers seed it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import MemoryHuey

from purser.jobs import EmbeddedWorker, HueyJobQueue
from purser.jobs.prune import KEEP, PRUNE_EVERY, PRUNE_KIND, prune_jobs, register_prune, schedule_prune
from purser.ports.jobs import JobContext, Payload, next_slot
from purser.store.db import Database
from purser.store.job_prune import prune_done_jobs
from purser.store.jobs import JobStore

NOW = datetime.now(UTC)
OLD = NOW - KEEP - timedelta(days=1)
RECENT = NOW - KEEP + timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HueyJobQueue]:
    url = f"sqlite:///{tmp_path / 'purser.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    db.create_all()
    q = HueyJobQueue(JobStore(db), MemoryHuey(f"prune-{request.param}", results=False), lease_seconds=60)
    q.register("demo.work", _noop, retries=0)
    yield q
    db.dispose()


def _noop(_payload: Payload, _context: JobContext) -> None:
    return None


def _job(queue: HueyJobQueue, key: str, *, finished: datetime | None, dead: bool = False) -> None:
    """A job that ran (at `finished`: done, or dead) or is still queued (`finished` None)."""
    store = queue.store
    assert store.insert("demo.work", {}, key=key, run_at=(finished or NOW) - timedelta(minutes=1), max_attempts=1)
    if finished is None:
        return
    claimed = store.claim(key, now=finished, due_by=finished, lease_seconds=60, kinds=["demo.work"])
    assert claimed is not None
    if dead:
        assert store.fail(key, 1, error="boom", retry_at=None, now=finished) == "dead"
    else:
        assert store.finish(key, 1, now=finished)


def _keys(queue: HueyJobQueue) -> set[str]:
    return {r.key for r in queue.records(limit=10_000)}


def test_only_done_jobs_older_than_the_keep_period_go_and_a_second_run_finds_nothing(queue: HueyJobQueue) -> None:
    _job(queue, "old-done", finished=OLD)
    _job(queue, "recent-done", finished=RECENT)
    _job(queue, "old-dead", finished=OLD, dead=True)
    _job(queue, "queued", finished=None)
    assert prune_jobs(queue, now=NOW) == 1
    assert _keys(queue) == {"recent-done", "old-dead", "queued"}
    assert prune_jobs(queue, now=NOW) == 0
    with pytest.raises(ValueError, match="positive"):
        prune_jobs(queue, keep=timedelta(0))
    assert _keys(queue) == {"recent-done", "old-dead", "queued"}


def test_many_old_jobs_go_in_batches(queue: HueyJobQueue) -> None:
    for n in range(23):
        _job(queue, f"d{n:02d}", finished=OLD)
    _job(queue, "keep", finished=RECENT)
    assert prune_done_jobs(queue.store.db, finished_before=NOW - KEEP, batch=5) == 23
    assert _keys(queue) == {"keep"}


def test_the_recurring_job_prunes_its_slot_and_schedules_the_next(queue: HueyJobQueue) -> None:
    register_prune(queue)
    register_prune(queue)  # a second registration is a no-op
    _job(queue, "old-done", finished=OLD)
    slot = next_slot(NOW, PRUNE_EVERY)
    assert schedule_prune(queue, now=NOW) is True and schedule_prune(queue, now=NOW) is False
    assert queue.run_due(now=slot + timedelta(minutes=1)) == 1
    keys = _keys(queue)
    assert "old-done" not in keys
    following = next_slot(slot, PRUNE_EVERY).strftime("%Y%m%dT%H%M%S")
    assert f"{PRUNE_KIND}:{following}" in keys  # the chain goes on
    done = queue.get(f"{PRUNE_KIND}:{slot.strftime('%Y%m%dT%H%M%S')}")
    assert done is not None and done.status == "done"


def test_a_worker_seeds_the_prune_chain(queue: HueyJobQueue) -> None:
    worker = EmbeddedWorker(queue, workers=1, sweep_seconds=60)
    worker.start()
    worker.stop()
    assert queue.has(PRUNE_KIND)
    assert [k for k in _keys(queue) if k.startswith(f"{PRUNE_KIND}:")]  # the next slot's run
