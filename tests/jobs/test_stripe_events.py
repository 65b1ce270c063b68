"""Stripe webhook events as `stripe.event` jobs: one job per event id, the effect and the job's completion
commit together, a stale worker's late attempt changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey
from sqlalchemy import func, select

from purser.app import memory_database
from purser.audit.log import AuditLog
from purser.jobs import HueyJobQueue
from purser.jobs.stripe_events import EVENT_KIND, event_key, register_stripe_events
from purser.ports.jobs import JobLeaseLost
from purser.store.db import Database
from purser.store.jobs import JobStore, finish_in
from purser.store.stripe_tables import st_refund_holds


def dispute_event(event_id: str = "evt_1") -> dict[str, object]:
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_x",
        "amount": 2000,
        "currency": "usd",
        "reason": "fraud",
    }
    return {"id": event_id, "object": "event", "type": "charge.dispute.created", "data": {"object": dispute}}


def holds(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(st_refund_holds)).scalar_one())


@pytest.fixture
def db() -> Database:
    return memory_database()


def test_one_job_per_event_id_and_one_effect(db: Database) -> None:
    queue = HueyJobQueue(JobStore(db), MemoryHuey("t", results=False))
    audit = AuditLog(db)
    register_stripe_events(queue, db, "whsec_x", audit)
    payload = {"event": json.dumps(dispute_event())}
    assert queue.enqueue(EVENT_KIND, payload, key=event_key("evt_1")) is True
    assert queue.enqueue(EVENT_KIND, payload, key=event_key("evt_1")) is False
    assert queue.run_due() == 1
    assert holds(db) == 1
    assert [r.kind for r in audit.records()].count("handoff") == 1
    record = queue.get(event_key("evt_1"))
    assert record is not None and record.status == "done"


def test_a_stale_attempt_is_fenced_and_writes_nothing(db: Database) -> None:
    queue = HueyJobQueue(JobStore(db), MemoryHuey("t", results=False))
    webhooks = register_stripe_events(queue, db, "whsec_x", AuditLog(db))
    key = event_key("evt_2")
    queue.enqueue(EVENT_KIND, {"event": json.dumps(dispute_event("evt_2"))}, key=key)
    now = datetime.now(UTC)
    stale = queue.store.claim(key, now=now - timedelta(seconds=600), due_by=now, lease_seconds=1, kinds=queue.kinds)
    assert stale is not None and stale.attempts == 1
    assert queue.run_due() == 1  # the lease ran out: attempt 2 takes over and acts
    with pytest.raises(JobLeaseLost):  # the first worker wakes up late: its transaction rolls back
        webhooks.process(dispute_event("evt_2"), within=lambda conn: finish_in(conn, key, 1))
    assert holds(db) == 1
