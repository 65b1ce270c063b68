"""The `audit.checkpoint` job on the real job queue: a checkpoint every N records or M minutes, the next
tick always scheduled, and never a checkpoint of a broken chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import MemoryHuey
from sqlalchemy import delete
from tests.audit.conftest import KEY

from purser.audit.anchor import AnchorFile
from purser.audit.checkpoint_job import CHECKPOINT_KIND, checkpoint_due, register_checkpoints, schedule_checkpoint
from purser.audit.log import AuditLog
from purser.jobs import HueyJobQueue
from purser.ports.audit import AuditKeys
from purser.store.db import Database
from purser.store.gateway_tables import gw_audit_log
from purser.store.jobs import JobStore


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[AuditLog, HueyJobQueue]:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    Database(url).migrate()
    keys = AuditKeys(KEY)
    db = Database(url, audit_keys=keys)
    log = AuditLog(db, anchor=AnchorFile(tmp_path / "jobs.anchor", keys))
    queue = HueyJobQueue(JobStore(db), MemoryHuey("audit-test", results=False), sweep_grace_seconds=0)
    register_checkpoints(queue, log, every_records=5, every_minutes=10)
    return log, queue


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append("note", actor="system", data={"i": i})


def test_due_after_n_records_or_m_minutes(setup: tuple[AuditLog, HueyJobQueue]) -> None:
    log, _queue = setup
    now = datetime.now(UTC)
    assert not checkpoint_due(log, every_records=5, every_minutes=10, now=now)  # empty chain
    _fill(log, 2)
    assert checkpoint_due(log, every_records=5, every_minutes=10, now=now)  # never checkpointed
    log.checkpoint()
    assert not checkpoint_due(log, every_records=5, every_minutes=10, now=now)
    _fill(log, 4)
    assert not checkpoint_due(log, every_records=5, every_minutes=10, now=now)
    assert checkpoint_due(log, every_records=5, every_minutes=10, now=now + timedelta(minutes=11))
    _fill(log, 1)
    assert checkpoint_due(log, every_records=5, every_minutes=10, now=now)


def test_the_job_checkpoints_and_schedules_the_next_tick(setup: tuple[AuditLog, HueyJobQueue]) -> None:
    log, queue = setup
    _fill(log, 6)
    assert schedule_checkpoint(queue, now=datetime.now(UTC) - timedelta(minutes=2))
    assert not schedule_checkpoint(queue, now=datetime.now(UTC) - timedelta(minutes=2))  # one per slot
    assert queue.run_due() == 1
    assert log.anchor is not None and log.anchor.last() is not None
    assert log.anchor.last().seq == 6  # type: ignore[union-attr]
    upcoming = [r for r in queue.records(status="queued") if r.kind == CHECKPOINT_KIND]
    assert len(upcoming) == 1 and upcoming[0].run_at > datetime.now(UTC)


def test_a_broken_chain_is_never_checkpointed(setup: tuple[AuditLog, HueyJobQueue]) -> None:
    log, queue = setup
    _fill(log, 6)
    log.checkpoint()
    assert log.db is not None
    with log.db.begin() as conn:
        conn.execute(delete(gw_audit_log).where(gw_audit_log.c.seq > 3))
    assert schedule_checkpoint(queue, now=datetime.now(UTC) - timedelta(minutes=2))
    queue.run_due()
    failed = [r for r in queue.records() if r.kind == CHECKPOINT_KIND and r.status == "failed"]
    assert len(failed) == 1 and "broken at record 4" in (failed[0].last_error or "")
    assert log.anchor is not None and len(log.anchor.read()) == 1
