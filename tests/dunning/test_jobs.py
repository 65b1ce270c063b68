"""Dunning on the real job queue (Huey in memory over the jobs table): the periodic tick fans out one
`dunning.case` job per due step, repeated ticks and events add nothing, a Stripe-shaped event opens a case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from purser.app import build_jobs
from purser.config import Settings
from purser.domain import CustomerId
from purser.dunning.clock import advance
from purser.dunning.jobs import CASE_KIND, TICK_KIND, enqueue_event, register_dunning_jobs, schedule_tick
from purser.dunning.service import Dunning
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database

Add = Callable[..., CustomerId]


def test_ticks_fan_out_one_job_per_due_step(
    db: Database, processor: SandboxProcessor, dunning: Dunning, add: Add
) -> None:
    queue, _outbox = build_jobs(Settings(), db, memory=True)
    register_dunning_jobs(queue, dunning)
    add("cus_a")
    add("cus_b")
    # Renewals fail; the cases open but no step runs yet (the tick is the job's, not this advance's).
    processor.advance_clock(datetime(2026, 12, 1, 16, tzinfo=UTC))
    wall = datetime.now(UTC)
    assert schedule_tick(queue, now=wall) and not schedule_tick(queue, now=wall)  # one per slot
    queue.run_due(now=wall + timedelta(minutes=5))
    kinds = sorted(r.kind for r in queue.records(limit=50))
    assert kinds.count(CASE_KIND) == 2 and kinds.count(TICK_KIND) == 2  # this slot's tick ran, the next waits
    dunning_emails = [e for e in processor.emails() if e.kind == "dunning"]
    assert sorted(e.customer_id for e in dunning_emails) == ["cus_a", "cus_b"]
    # The next slot's tick, at the same processor time, finds nothing due.
    queue.run_due(now=wall + timedelta(minutes=10))
    assert [r.kind for r in queue.records(limit=50)].count(TICK_KIND) == 3
    assert len([e for e in processor.emails() if e.kind == "dunning"]) == 2


def test_a_stripe_shaped_event_opens_the_case_once(
    db: Database, processor: SandboxProcessor, dunning: Dunning, add: Add
) -> None:
    queue, _outbox = build_jobs(Settings(), db, memory=True)
    register_dunning_jobs(queue, dunning)
    dunning.policy = dunning.policy.model_copy(update={"enabled": True})
    add("cus_a")
    processor.advance_clock(datetime(2026, 12, 1, 16, tzinfo=UTC))
    [failed] = [e for e in processor.events() if e.type == "invoice.payment_failed"]
    raw = {"id": "evt_1", "type": failed.type, "created": int(failed.created.timestamp()), "data": failed.data}
    assert enqueue_event(queue, raw) and not enqueue_event(queue, raw)
    assert not enqueue_event(queue, {"id": "evt_2", "type": "charge.refunded", "data": {}})
    queue.run_due()
    [case] = dunning.repo.cases()
    assert case.opened_at == failed.created and case.decline_reason == "card_declined"
    advance(processor, dunning, datetime(2026, 12, 1, 17, tzinfo=UTC))
    assert len([e for e in processor.emails() if e.kind == "dunning"]) == 1
