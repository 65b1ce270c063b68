"""The clock: renewals at anchored boundaries, dunning, trials, pauses and cancellations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from purser.domain import (
    ChargeStatus,
    CustomerId,
    InvoiceId,
    InvoiceStatus,
    PaymentBehavior,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.errors import CardDeclined, Conflict, InvalidRequest
from purser.processors.sandbox import SandboxProcessor


def at(text: str) -> datetime:
    return datetime.fromisoformat(text if "T" in text else f"{text}T00:00:00").replace(tzinfo=UTC)


def usd(text: str) -> Money:
    return Money.parse(text, "usd")


def periods(processor: SandboxProcessor, cid: str) -> list[tuple[str, str]]:
    snap = processor.snapshot(CustomerId(cid))
    out = []
    for inv in reversed(snap.invoices):
        line = inv.lines[0]
        if line.period_start and line.period_end and not line.proration:
            out.append((line.period_start.date().isoformat(), line.period_end.date().isoformat()))
    return out


def test_renews_each_boundary_once(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_r")
    report = processor.advance_clock(at("2027-02-15"))
    assert report.renewals == 3
    assert processor.now() == at("2027-02-15")
    assert periods(processor, "cus_r") == [
        ("2026-12-01", "2027-01-01"),
        ("2027-01-01", "2027-02-01"),
        ("2027-02-01", "2027-03-01"),
    ]
    again = processor.advance_clock(at("2027-02-15"))
    assert again.renewals == 0
    snap = processor.snapshot(CustomerId("cus_r"))
    assert [c.amount for c in snap.charges[:3]] == [usd("20.00")] * 3
    assert snap.invoices[0].created == at("2027-02-01")


def test_jan_31_anchor_bills_feb_28_then_mar_31(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_j", period_start="2027-01-31T00:00:00", now="2027-02-01T00:00:00")
    processor.advance_clock(at("2027-05-01"))
    assert periods(processor, "cus_j") == [
        ("2027-02-28", "2027-03-31"),
        ("2027-03-31", "2027-04-30"),
        ("2027-04-30", "2027-05-31"),
    ]


def test_leap_year_anchor(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_lp", period_start="2028-01-31T00:00:00", now="2028-02-01T00:00:00")
    processor.advance_clock(at("2028-03-01"))
    assert periods(processor, "cus_lp")[0] == ("2028-02-29", "2028-03-31")


def test_imported_mid_cycle_subscription_keeps_its_jan_31_anchor(processor: SandboxProcessor, world: Any) -> None:
    world.customer(
        "cus_an", created="2027-01-31T00:00:00", period_start="2027-02-28T00:00:00", now="2027-03-01T00:00:00"
    )
    sub = processor.snapshot(CustomerId("cus_an")).subscription
    assert sub is not None and sub.current_period_end == at("2027-03-31")
    processor.advance_clock(at("2027-05-01"))
    assert periods(processor, "cus_an") == [("2027-03-31", "2027-04-30"), ("2027-04-30", "2027-05-31")]


def test_failed_renewal_dunning_then_unpaid(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_d", behavior=PaymentBehavior.INSUFFICIENT_FUNDS)
    processor.advance_clock(at("2026-12-01"))
    snap = processor.snapshot(CustomerId("cus_d"))
    inv = snap.invoices[0]
    assert inv.status is InvoiceStatus.OPEN and inv.attempts == 1
    assert inv.next_payment_attempt == at("2026-12-04")
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.PAST_DUE
    assert snap.charges[0].status is ChargeStatus.FAILED and snap.charges[0].failure_code == "insufficient_funds"
    assert snap.past_due == usd("20.00")
    processor.advance_clock(at("2026-12-06"))
    inv = processor.snapshot(CustomerId("cus_d")).invoices[0]
    assert inv.attempts == 3 and inv.next_payment_attempt == at("2026-12-08")
    report = processor.advance_clock(at("2026-12-20"))
    assert report.retries == 1
    snap = processor.snapshot(CustomerId("cus_d"))
    assert snap.invoices[0].attempts == 4 and snap.invoices[0].next_payment_attempt is None
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.UNPAID
    types = [e.type for e in processor.list_writes()]
    assert types.count("invoice.payment_failed") == 4


def test_unpaid_keeps_invoicing_without_attempts_and_recovers(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_u", behavior=PaymentBehavior.DECLINES)
    processor.advance_clock(at("2027-01-05"))
    snap = processor.snapshot(CustomerId("cus_u"))
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.UNPAID
    open_ids = [i.id for i in snap.invoices if i.status is InvoiceStatus.OPEN]
    assert len(open_ids) == 2 and snap.past_due == usd("40.00")
    assert snap.invoices[0].attempts == 0  # the January invoice was not attempted
    with pytest.raises(CardDeclined):
        processor.retry_invoice(InvoiceId(open_ids[0]), idempotency_key="r0")
    world_pm_fix(processor, "cus_u")
    for i, inv_id in enumerate(open_ids):
        paid = processor.retry_invoice(InvoiceId(inv_id), idempotency_key=f"r{i + 1}")
        assert paid.status is InvoiceStatus.PAID
    snap = processor.snapshot(CustomerId("cus_u"))
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.ACTIVE
    assert snap.past_due is None


def world_pm_fix(processor: SandboxProcessor, cid: str) -> None:
    """Swap the customer's card for a good one (what the hosted page does)."""
    from sqlalchemy import update

    from purser.store import sandbox_tables as t

    with processor.db.begin() as conn:
        conn.execute(
            update(t.payment_methods).where(t.payment_methods.c.customer_id == cid).values(behavior="succeeds")
        )


def test_retry_invoice_records_the_attempt_and_is_idempotent(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_rt", behavior=PaymentBehavior.DECLINES)
    processor.advance_clock(at("2026-12-01"))
    inv = processor.snapshot(CustomerId("cus_rt")).invoices[0]
    with pytest.raises(CardDeclined) as err:
        processor.retry_invoice(inv.id, idempotency_key="retry-1")
    assert err.value.code == "card_declined"
    assert processor.get_invoice(inv.id).attempts == 2
    with pytest.raises(CardDeclined):
        processor.retry_invoice(inv.id, idempotency_key="retry-1")
    assert processor.get_invoice(inv.id).attempts == 2  # replayed, not re-attempted
    world_pm_fix(processor, "cus_rt")
    paid = processor.retry_invoice(inv.id, idempotency_key="retry-2")
    assert paid.status is InvoiceStatus.PAID and paid.amount_paid == usd("20.00")
    with pytest.raises(Conflict):
        processor.retry_invoice(inv.id, idempotency_key="retry-3")


def test_expired_card_fails_by_date(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_ex", exp=(2026, 11))
    processor.advance_clock(at("2026-12-01"))
    snap = processor.snapshot(CustomerId("cus_ex"))
    assert snap.charges[0].failure_code == "expired_card"
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.PAST_DUE


def test_trial_end_bills_the_first_invoice(processor: SandboxProcessor, world: Any) -> None:
    world.customer(
        "cus_t", status=SubscriptionStatus.TRIALING, trial_end="2026-11-20T12:00:00", now="2026-11-05T00:00:00"
    )
    snap = processor.snapshot(CustomerId("cus_t"))
    assert snap.next_invoice_date == at("2026-11-20T12:00:00") and snap.invoices == ()
    processor.advance_clock(at("2026-12-01"))
    snap = processor.snapshot(CustomerId("cus_t"))
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.ACTIVE
    assert snap.subscription.current_period_start == at("2026-11-20T12:00:00")
    assert snap.subscription.current_period_end == at("2026-12-20T12:00:00")
    assert len(snap.invoices) == 1 and snap.invoices[0].status is InvoiceStatus.PAID


def test_cancel_at_period_end_then_canceled(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_c")
    sub = processor.cancel(SubscriptionId("sub_cus_c"), effective="period_end", idempotency_key="c1")
    assert sub.cancel_at_period_end and sub.status is SubscriptionStatus.ACTIVE
    assert sub.canceled_at == at("2026-11-16")
    snap = processor.snapshot(CustomerId("cus_c"))
    assert snap.next_invoice_date is None
    report = processor.advance_clock(at("2027-01-15"))
    assert report.cancellations == 1 and report.renewals == 0
    snap = processor.snapshot(CustomerId("cus_c"))
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.CANCELED
    assert snap.subscription.ended_at == at("2026-12-01")
    assert len(snap.invoices) == 1
    assert "customer.subscription.deleted" in [e.type for e in processor.list_writes()]


def test_cancel_now(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_cn")
    sub = processor.cancel(SubscriptionId("sub_cus_cn"), effective="now", idempotency_key="c")
    assert sub.status is SubscriptionStatus.CANCELED and sub.ended_at == at("2026-11-16")
    with pytest.raises(Conflict):
        processor.cancel(SubscriptionId("sub_cus_cn"), effective="now", idempotency_key="c2")
    assert processor.advance_clock(at("2027-03-01")).renewals == 0


def test_pause_honours_the_paid_period_and_resumes(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_p")
    sub = processor.pause(SubscriptionId("sub_cus_p"), resumes_at=at("2027-02-01"), idempotency_key="p")
    assert sub.status is SubscriptionStatus.PAUSED and sub.resumes_at == at("2027-02-01")
    assert sub.pause_starts_at == at("2026-12-01")
    snap = processor.snapshot(CustomerId("cus_p"))
    assert snap.next_invoice_date == at("2027-02-01") and snap.next_invoice_amount == usd("20.00")
    assert processor.advance_clock(at("2027-01-31")).renewals == 0
    processor.advance_clock(at("2027-03-15"))
    snap = processor.snapshot(CustomerId("cus_p"))
    assert snap.subscription is not None and snap.subscription.status is SubscriptionStatus.ACTIVE
    assert snap.subscription.resumes_at is None
    assert periods(processor, "cus_p") == [("2027-02-01", "2027-03-01"), ("2027-03-01", "2027-04-01")]


def test_resume_early_keeps_the_period(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_re")
    processor.pause(SubscriptionId("sub_cus_re"), resumes_at=at("2027-03-01"), idempotency_key="p")
    sub = processor.resume(SubscriptionId("sub_cus_re"), idempotency_key="r")
    assert sub.status is SubscriptionStatus.ACTIVE and sub.resumes_at is None
    assert sub.current_period_end == at("2026-12-01")
    with pytest.raises(Conflict):
        processor.resume(SubscriptionId("sub_cus_re"), idempotency_key="r2")


def test_resume_after_the_period_starts_a_new_one(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_rl")
    processor.pause(SubscriptionId("sub_cus_rl"), resumes_at=at("2027-03-01"), idempotency_key="p")
    processor.advance_clock(at("2027-01-10T08:00:00"))
    sub = processor.resume(SubscriptionId("sub_cus_rl"), idempotency_key="r")
    assert sub.current_period_start == at("2027-01-10T08:00:00")
    assert sub.current_period_end == at("2027-02-10T08:00:00")
    assert processor.snapshot(CustomerId("cus_rl")).invoices[0].created == at("2027-01-10T08:00:00")


def test_pause_needs_a_future_resume_date(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_pf")
    with pytest.raises(InvalidRequest):
        processor.pause(SubscriptionId("sub_cus_pf"), resumes_at=at("2026-11-01"), idempotency_key="p")


def test_clock_cannot_go_back(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_b")
    with pytest.raises(InvalidRequest):
        processor.advance_clock(at("2026-11-01"))
    with pytest.raises(InvalidRequest):
        processor.advance_clock(datetime(2027, 1, 1))  # naive
