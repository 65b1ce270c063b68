"""Plan and seat changes through the engine: quotes, prorated invoices, credit, scheduled changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from purser.domain import (
    ChargeStatus,
    CustomerId,
    InvoiceStatus,
    PaymentBehavior,
    PlanId,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors import BillingProcessor
from purser.processors.errors import CardDeclined, Conflict, IdempotencyError, InvalidRequest, NotFound
from purser.processors.sandbox import SandboxProcessor


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def usd(text: str) -> Money:
    return Money.parse(text, "usd")


def test_implements_the_protocol(processor: SandboxProcessor) -> None:
    assert isinstance(processor, BillingProcessor)


def test_upgrade_pro_to_business_charges_15(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    sub = SubscriptionId("sub_cus_li")
    quote = processor.preview_change(
        sub, plan_id=PlanId("business-monthly"), quantity=1, timing="now_prorated", proration_date=processor.now()
    )
    assert quote.amount_due_now == usd("15.00")
    assert quote.total == usd("15.00")
    assert quote.next_invoice_amount == usd("50.00")
    assert quote.effective_at == at("2026-11-16T00:00:00")
    result = processor.change_subscription(
        sub,
        plan_id=PlanId("business-monthly"),
        quantity=1,
        timing="now_prorated",
        proration_date=quote.proration_date,
        idempotency_key="up-1",
    )
    assert result.subscription.plan_id == "business-monthly"
    assert result.invoice is not None and result.charge is not None
    assert result.charge.amount == usd("15.00") and result.charge.status is ChargeStatus.SUCCEEDED
    assert result.invoice.status is InvoiceStatus.PAID
    assert result.invoice.number == "LI-0002"
    assert [(line.description, line.amount) for line in result.invoice.lines] == [
        ("Unused time on Pro after 16 Nov 2026", usd("-10.00")),
        ("Remaining time on Business after 16 Nov 2026", usd("25.00")),
    ]
    assert all(line.proration for line in result.invoice.lines)
    snap = processor.snapshot(CustomerId("cus_li"))
    assert snap.next_invoice_amount == usd("50.00")
    assert snap.next_invoice_date == at("2026-12-01T00:00:00")
    types = [e.type for e in processor.list_writes()]
    assert "customer.subscription.updated" in types and "charge.succeeded" in types and "invoice.paid" in types


def test_downgrade_now_becomes_credit_and_pays_the_next_invoice(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_bo", plan="business-monthly")
    sub = SubscriptionId("sub_cus_bo")
    result = processor.change_subscription(
        sub,
        plan_id=PlanId("pro-monthly"),
        quantity=1,
        timing="now_prorated",
        proration_date=processor.now(),
        idempotency_key="down-1",
    )
    assert result.charge is None
    assert result.invoice is not None and result.invoice.total == usd("-15.00")
    snap = processor.snapshot(CustomerId("cus_bo"))
    assert snap.customer.balance == usd("-15.00")
    assert snap.next_invoice_amount == usd("5.00")  # 20.00 renewal minus 15.00 credit
    processor.advance_clock(at("2026-12-01T00:00:00"))
    snap = processor.snapshot(CustomerId("cus_bo"))
    renewal = snap.invoices[0]
    assert renewal.total == usd("20.00") and renewal.status is InvoiceStatus.PAID
    assert snap.charges[0].amount == usd("5.00")
    assert snap.customer.balance == usd("0.00")


def test_seat_change_quote_and_invoice(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_tm", plan="team-monthly", quantity=3, now="2026-11-11T00:00:00")
    sub = SubscriptionId("sub_cus_tm")
    quote = processor.preview_change(
        sub, plan_id=PlanId("team-monthly"), quantity=5, timing="now_prorated", proration_date=processor.now()
    )
    assert [line.amount.minor for line in quote.lines] == [-2400, 4000]
    assert quote.amount_due_now == usd("16.00")
    assert quote.next_invoice_amount == usd("60.00")
    result = processor.change_subscription(
        sub,
        plan_id=PlanId("team-monthly"),
        quantity=5,
        timing="now_prorated",
        proration_date=processor.now(),
        idempotency_key="seats",
    )
    assert result.subscription.quantity == 5
    assert result.charge is not None and result.charge.amount == usd("16.00")


def test_period_end_change_is_scheduled_and_applied_at_renewal(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_pe", plan="business-monthly")
    sub = SubscriptionId("sub_cus_pe")
    quote = processor.preview_change(
        sub, plan_id=PlanId("basic-monthly"), quantity=1, timing="period_end", proration_date=processor.now()
    )
    assert quote.lines == () and quote.amount_due_now == usd("0.00")
    assert quote.effective_at == at("2026-12-01T00:00:00")
    result = processor.change_subscription(
        sub,
        plan_id=PlanId("basic-monthly"),
        quantity=1,
        timing="period_end",
        proration_date=processor.now(),
        idempotency_key="pe",
    )
    assert result.invoice is None and result.charge is None
    assert result.subscription.plan_id == "business-monthly"
    assert result.subscription.scheduled_plan_id == "basic-monthly"
    assert result.subscription.scheduled_quantity == 1
    snap = processor.snapshot(CustomerId("cus_pe"))
    assert snap.scheduled_plan is not None and snap.scheduled_plan.id == "basic-monthly"
    assert snap.next_invoice_amount == usd("10.00")
    processor.advance_clock(at("2026-12-01T00:00:00"))
    snap = processor.snapshot(CustomerId("cus_pe"))
    assert snap.subscription is not None
    assert snap.subscription.plan_id == "basic-monthly" and snap.subscription.scheduled_plan_id is None
    assert snap.invoices[0].total == usd("10.00")


def test_declined_upgrade_changes_nothing(processor: SandboxProcessor, world: Any, table_counts: Any) -> None:
    world.customer("cus_dc", behavior=PaymentBehavior.DECLINES)
    before = table_counts()
    with pytest.raises(CardDeclined) as err:
        processor.change_subscription(
            SubscriptionId("sub_cus_dc"),
            plan_id=PlanId("business-monthly"),
            quantity=1,
            timing="now_prorated",
            proration_date=processor.now(),
            idempotency_key="dc",
        )
    assert err.value.code == "card_declined"
    assert table_counts() == before
    assert processor.snapshot(CustomerId("cus_dc")).subscription.plan_id == "pro-monthly"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("plan", "quantity", "error", "code"),
    [
        ("pro-monthly", 1, InvalidRequest, "no_change"),
        ("pro-monthly", 0, InvalidRequest, "invalid_quantity"),
        ("jp-monthly", 1, InvalidRequest, "currency_mismatch"),
        ("nope", 1, NotFound, "resource_missing"),
    ],
)
def test_bad_changes_are_refused(
    processor: SandboxProcessor, world: Any, table_counts: Any, plan: str, quantity: int, error: type, code: str
) -> None:
    world.customer("cus_x")
    before = table_counts()
    with pytest.raises(error) as err:
        processor.change_subscription(
            SubscriptionId("sub_cus_x"),
            plan_id=PlanId(plan),
            quantity=quantity,
            timing="now_prorated",
            proration_date=processor.now(),
            idempotency_key="bad",
        )
    assert err.value.code == code
    assert table_counts() == before


def test_change_is_idempotent(processor: SandboxProcessor, world: Any, table_counts: Any) -> None:
    world.customer("cus_id")
    kwargs: dict[str, Any] = {
        "plan_id": PlanId("business-monthly"),
        "quantity": 1,
        "timing": "now_prorated",
        "proration_date": processor.now(),
    }
    first = processor.change_subscription(SubscriptionId("sub_cus_id"), idempotency_key="same", **kwargs)
    after_first = table_counts()
    again = processor.change_subscription(SubscriptionId("sub_cus_id"), idempotency_key="same", **kwargs)
    assert again == first
    assert table_counts() == after_first
    with pytest.raises(IdempotencyError):
        processor.change_subscription(SubscriptionId("sub_cus_id"), idempotency_key="same", **{**kwargs, "quantity": 2})


def test_canceled_subscription_cannot_change(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_cc")
    processor.cancel(SubscriptionId("sub_cus_cc"), effective="now", idempotency_key="c")
    with pytest.raises(Conflict):
        processor.preview_change(
            SubscriptionId("sub_cus_cc"),
            plan_id=PlanId("business-monthly"),
            quantity=1,
            timing="now_prorated",
            proration_date=processor.now(),
        )


def test_interval_change_restarts_the_cycle(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_yr")
    result = processor.change_subscription(
        SubscriptionId("sub_cus_yr"),
        plan_id=PlanId("pro-yearly"),
        quantity=1,
        timing="now_prorated",
        proration_date=processor.now(),
        idempotency_key="yr",
    )
    assert result.charge is not None and result.charge.amount == usd("190.00")
    assert result.subscription.current_period_start == at("2026-11-16T00:00:00")
    assert result.subscription.current_period_end == at("2027-11-16T00:00:00")


def test_trialing_change_has_no_proration(processor: SandboxProcessor, world: Any) -> None:
    world.customer(
        "cus_tr",
        status=SubscriptionStatus.TRIALING,
        trial_end="2026-11-15T00:00:00",
        period_start="2026-11-01T00:00:00",
        now="2026-11-05T00:00:00",
    )
    result = processor.change_subscription(
        SubscriptionId("sub_cus_tr"),
        plan_id=PlanId("business-monthly"),
        quantity=1,
        timing="now_prorated",
        proration_date=processor.now(),
        idempotency_key="tr",
    )
    assert result.invoice is None and result.subscription.plan_id == "business-monthly"


def test_jpy_seat_change_through_the_engine(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_jp", plan="jp-monthly", country="JP", now="2026-11-21T00:00:00")
    quote = processor.preview_change(
        SubscriptionId("sub_cus_jp"),
        plan_id=PlanId("jp-monthly"),
        quantity=3,
        timing="now_prorated",
        proration_date=processor.now(),
    )
    assert [line.amount for line in quote.lines] == [Money.parse("-500", "jpy"), Money.parse("1500", "jpy")]
    assert quote.amount_due_now == Money.parse("1000", "jpy")
    result = processor.change_subscription(
        SubscriptionId("sub_cus_jp"),
        plan_id=PlanId("jp-monthly"),
        quantity=3,
        timing="now_prorated",
        proration_date=processor.now(),
        idempotency_key="jp",
    )
    assert result.charge is not None and result.charge.amount.amount_str() == "1000"


def test_scheduled_change_during_trial_applies_at_trial_end(processor: SandboxProcessor, world: Any) -> None:
    world.customer(
        "cus_ts", status=SubscriptionStatus.TRIALING, trial_end="2026-11-20T00:00:00", now="2026-11-05T00:00:00"
    )
    quote = processor.preview_change(
        SubscriptionId("sub_cus_ts"),
        plan_id=PlanId("basic-monthly"),
        quantity=1,
        timing="period_end",
        proration_date=processor.now(),
    )
    assert quote.effective_at == datetime(2026, 11, 20, tzinfo=UTC)
    processor.change_subscription(
        SubscriptionId("sub_cus_ts"),
        plan_id=PlanId("basic-monthly"),
        quantity=1,
        timing="period_end",
        proration_date=processor.now(),
        idempotency_key="ts",
    )
    assert processor.snapshot(CustomerId("cus_ts")).next_invoice_amount == usd("10.00")
    processor.advance_clock(datetime(2026, 11, 21, tzinfo=UTC))
    snap = processor.snapshot(CustomerId("cus_ts"))
    assert snap.subscription is not None and snap.subscription.plan_id == "basic-monthly"
    assert snap.invoices[0].total == usd("10.00")


def test_scheduling_the_current_plan_clears_a_scheduled_change(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_cl", plan="business-monthly")
    sub = SubscriptionId("sub_cus_cl")
    common: dict[str, Any] = {"quantity": 1, "timing": "period_end", "proration_date": processor.now()}
    processor.change_subscription(sub, plan_id=PlanId("pro-monthly"), idempotency_key="a", **common)
    result = processor.change_subscription(sub, plan_id=PlanId("business-monthly"), idempotency_key="b", **common)
    assert result.subscription.scheduled_plan_id is None and result.subscription.scheduled_quantity is None
