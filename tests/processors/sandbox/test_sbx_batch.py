"""Renewals in batches write exactly what the row-by-row reference (`cycle.run_customer`) writes.

A mixed population (succeeding, declining, insufficient funds, expired, per-seat, yearly, paused,
cancel_at_period_end, trialing, a scheduled change, customer credit, EU tax, reverse charge, yen)
is advanced over several months twice: by `advance_clock` (the batch, with batches small enough
that customers are split across transactions) and by the reference replaying each customer alone.
Snapshots and the event stream must be equal once the random ids are numbered in order of
appearance.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from purser.domain import (
    CustomerId,
    PaymentBehavior,
    PlanId,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.processors.sandbox import SandboxProcessor, cycle, rows
from purser.processors.sandbox.engine import write_clock
from purser.store import Database, metadata

B = PaymentBehavior
_RANDOM_ID = re.compile(r"\b(?:in|ch|evt)_[0-9a-f]{24}\b")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def populate(world: Any) -> None:
    """Every kind of customer the clock treats differently."""
    world.plans()
    world.customer("cus_ok")
    world.customer("cus_declines", behavior=B.DECLINES)
    world.customer("cus_funds", behavior=B.INSUFFICIENT_FUNDS, period_start="2026-11-10T00:00:00")
    world.customer("cus_expired", exp=(2026, 11))
    world.customer("cus_seats", plan="team-monthly", quantity=5)
    world.customer("cus_yearly", plan="pro-yearly", period_start="2026-01-15T00:00:00")
    world.customer("cus_eu", plan="eur-monthly", country="DE")
    world.customer("cus_rc", plan="eur-monthly", country="DE", vat_id="DE136695976")
    world.customer("cus_yen", plan="jp-monthly", period_start="2026-10-31T00:00:00")
    world.customer("cus_anchor", period_start="2026-10-31T00:00:00")
    world.customer("cus_cape", cancel_at_period_end=True)
    world.customer(
        "cus_trial",
        status=SubscriptionStatus.TRIALING,
        trial_end="2026-12-03T00:00:00",
        paid_invoice=False,
    )
    world.customer("cus_pause_late", status=SubscriptionStatus.PAUSED, resumes_at="2027-01-20T00:00:00")
    world.customer("cus_pause_early")
    world.customer("cus_sched")
    world.customer("cus_up_seats", plan="team-monthly", quantity=2)
    world.customer("cus_credit", plan="business-monthly")
    processor: SandboxProcessor = world.processor
    # A downgrade mid-period leaves a credit that the next renewals use up (one paid at once).
    processor.change_subscription(
        SubscriptionId("sub_cus_credit"),
        plan_id=PlanId("basic-monthly"),
        quantity=1,
        timing="now_prorated",
        proration_date=at("2026-11-16T00:00:00"),
        idempotency_key="cr",
    )
    processor.pause(SubscriptionId("sub_cus_pause_early"), resumes_at=at("2026-11-25T00:00:00"), idempotency_key="pe")
    processor.change_subscription(
        SubscriptionId("sub_cus_sched"),
        plan_id=PlanId("business-monthly"),
        quantity=1,
        timing="period_end",
        proration_date=at("2026-11-16T00:00:00"),
        idempotency_key="sc",
    )
    processor.change_subscription(
        SubscriptionId("sub_cus_up_seats"),
        plan_id=PlanId("pro-yearly"),
        quantity=1,
        timing="period_end",
        proration_date=at("2026-11-16T00:00:00"),
        idempotency_key="su",
    )


def reference_advance(processor: SandboxProcessor, target: datetime) -> None:
    """The clock moved by the row-by-row reference, one customer after another in one transaction."""
    with processor.db.read() as conn:
        due = cycle.due_customers(conn, target)
    with processor.db.begin() as conn:
        for customer_id in due:
            cycle.run_customer(conn, customer_id, target, processor.dunning_days)
        write_clock(conn, target)


def normalized(processor: SandboxProcessor) -> Any:
    """Every event, every customer's snapshot and every row of every table (the columns no entity
    shows too: billing reasons, anchors, credit applied, line and event sequence numbers), random
    ids numbered in order of appearance in the event stream."""
    customers = sorted(c.id for c in processor.list_customers(limit=1000))
    state = {
        "events": [(e.type, e.created, e.data) for e in processor.list_writes()],
        "snapshots": [asdict(processor.snapshot(cid)) for cid in customers],
    }
    numbering: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return numbering.setdefault(match.group(0), f"<{match.group(0)[:3]}{len(numbering)}>")

    text = _RANDOM_ID.sub(number, repr(state))
    with processor.db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name.startswith("sbx_"):
                # Serial keys (event seq, line id) are left out: PostgreSQL's sequences outlive the
                # emptied tables. Their order is the event stream's order, compared above.
                columns = [c for c in table.c if not (c.primary_key and c.autoincrement is True)]
                ordered = select(*columns).order_by(*table.primary_key)  # events: numbered in write order
                found = sorted(_RANDOM_ID.sub(number, repr(_plain(r))) for r in conn.execute(ordered))
                text += f"\n{table.name}: {found}"
    return text


def _plain(row: Any) -> tuple[Any, ...]:
    # One representation on SQLite and PostgreSQL: aware UTC datetimes, plain bools.
    return tuple(rows.aware(v) if isinstance(v, datetime) else v for v in row)


STEPS = ["2026-12-01T00:00:00", "2026-12-04T12:00:00", "2027-01-15T00:00:00", "2027-03-02T00:00:00"]


def _sqlite() -> SandboxProcessor:
    db = Database("sqlite://")
    db.create_all()
    return SandboxProcessor(db)


def test_batch_matches_the_row_by_row_reference(processor: SandboxProcessor, make_world: Any) -> None:
    reference = _sqlite()
    populate(make_world(reference))
    batched = SandboxProcessor(processor.db, advance_batch=4)
    populate(make_world(batched))
    assert normalized(batched) == normalized(reference)
    renewals = 0
    for step in STEPS:
        reference_advance(reference, at(step))
        report = batched.advance_clock(at(step))
        renewals += report.renewals
        assert normalized(batched) == normalized(reference), step
    assert renewals >= 40
    credit = batched.snapshot(CustomerId("cus_credit"))
    december = next(i for i in credit.invoices if i.created == at("2026-12-01T00:00:00"))
    assert december.amount_paid is not None and december.amount_paid.minor == 1000  # paid from the credit
    assert not [c for c in credit.charges if c.invoice_id == december.id]
    snap = batched.snapshot(CustomerId("cus_declines"))
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.UNPAID
    assert batched.snapshot(CustomerId("cus_cape")).subscription.status is SubscriptionStatus.CANCELED  # type: ignore[union-attr]


@pytest.mark.parametrize("size", [1, 500])
def test_batch_size_changes_nothing(size: int, make_world: Any) -> None:
    one, other = SandboxProcessor(_sqlite().db, advance_batch=size), _sqlite()
    populate(make_world(one))
    populate(make_world(other))
    for step in STEPS:
        a, b = one.advance_clock(at(step)), other.advance_clock(at(step))
        assert (a.renewals, a.retries, a.cancellations, a.customers) == (
            b.renewals,
            b.retries,
            b.cancellations,
            b.customers,
        )
    assert normalized(one) == normalized(other)
