"""The import API: a world loads in one transaction, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from purser.domain import (
    Address,
    Charge,
    ChargeId,
    ChargeStatus,
    Customer,
    CustomerId,
    Dispute,
    DisputeId,
    Invoice,
    InvoiceId,
    InvoiceStatus,
    PaymentMethod,
    PaymentMethodId,
    Refund,
    RefundId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.errors import InvalidRequest, NotFound, ProcessorError
from purser.processors.sandbox import SandboxProcessor


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def usd(text: str) -> Money:
    return Money.parse(text, "usd")


CUS = CustomerId("cus_ana")


def test_world_with_history(processor: SandboxProcessor, world: Any) -> None:
    with processor.bulk_import() as imp:
        imp.create_customer(
            Customer(CUS, "Ana", "ana@example.com", Address("Rua 1", "Lisboa", "1100", "pt"), None, at("2026-06-01"))
        )
        imp.add_payment_method(PaymentMethod(PaymentMethodId("pm_ana"), CUS, "visa", "4242", 2030, 1, True))
        imp.import_subscription(
            Subscription(
                SubscriptionId("sub_ana"),
                CUS,
                "pro-monthly",  # type: ignore[arg-type]
                1,
                SubscriptionStatus.PAST_DUE,
                at("2026-06-01"),
                at("2026-11-01"),
                at("2026-12-01"),
            )
        )
        imp.import_invoice(
            Invoice(
                InvoiceId("in_a"),
                CUS,
                "PUR-0006",
                InvoiceStatus.PAID,
                at("2026-10-01"),
                usd("20.00"),
                usd("0"),
                usd("20.00"),
            )
        )
        imp.import_invoice(
            Invoice(
                InvoiceId("in_b"),
                CUS,
                "PUR-0007",
                InvoiceStatus.OPEN,
                at("2026-11-01"),
                usd("20.00"),
                usd("0"),
                usd("20.00"),
                subscription_id=SubscriptionId("sub_ana"),
                attempts=2,
            )
        )
        for cid, minute in (("ch_1", 0), ("ch_2", 2)):
            imp.import_charge(
                Charge(
                    ChargeId(cid),
                    CUS,
                    usd("20.00"),
                    at(f"2026-10-01T00:0{minute}:05"),
                    ChargeStatus.SUCCEEDED,
                    InvoiceId("in_a"),
                )
            )
        imp.import_refund(Refund(RefundId("re_1"), ChargeId("ch_2"), CUS, usd("5.00"), at("2026-10-02")))
        imp.import_dispute(
            Dispute(DisputeId("dp_1"), ChargeId("ch_1"), usd("20.00"), "needs_response", "fraudulent", at("2026-10-05"))
        )
        imp.set_clock(at("2026-11-16"))
    snap = processor.snapshot(CUS)
    assert snap.now == at("2026-11-16")
    assert snap.past_due == usd("20.00")
    assert snap.customer.address.country == "PT"
    assert snap.charge("ch_2").amount_refunded == usd("5.00")  # type: ignore[union-attr]
    assert snap.charge("ch_1").disputed  # type: ignore[union-attr]
    assert [i.number for i in snap.invoices] == ["PUR-0007", "PUR-0006"]
    assert snap.invoices[0].lines[0].amount == usd("20.00")
    assert processor.events() == []  # imports emit no events
    # the next invoice continues the customer's numbering
    processor.change_subscription(
        SubscriptionId("sub_ana"),
        plan_id="business-monthly",  # type: ignore[arg-type]
        quantity=1,
        timing="now_prorated",
        proration_date=processor.now(),
        idempotency_key="k",
    )
    assert processor.snapshot(CUS).invoices[0].number == "PUR-0008"


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        ("duplicate customer", InvalidRequest, "duplicate customer id 'cus_ana'"),
        ("unknown plan", NotFound, "no such plan: 'gold'"),
        ("naive time", InvalidRequest, "timezone-aware"),
        ("over-refund", InvalidRequest, "exceed the charge"),
        ("lines", InvalidRequest, "subtotal + tax must equal total"),
    ],
)
def test_a_bad_world_loads_nothing(
    processor: SandboxProcessor, world: Any, table_counts: Any, bad: str, error: type, words: str
) -> None:
    before = table_counts()
    with pytest.raises(error) as err, processor.bulk_import() as imp:
        imp.create_customer(Customer(CUS, "Ana", "ana@example.com", Address(), None, at("2026-06-01")))
        start = at("2026-11-01")
        plan = "gold" if bad == "unknown plan" else "pro-monthly"
        created = datetime(2026, 6, 1) if bad == "naive time" else at("2026-06-01")
        imp.import_subscription(
            Subscription(
                SubscriptionId("sub_ana"),
                CUS,
                plan,  # type: ignore[arg-type]
                1,
                SubscriptionStatus.ACTIVE,
                created,
                start,
                at("2026-12-01"),
            )
        )
        tax = usd("1.00") if bad == "lines" else usd("0")
        imp.import_invoice(
            Invoice(InvoiceId("in_a"), CUS, "A-1", InvoiceStatus.PAID, start, usd("20.00"), tax, usd("20.00"))
        )
        imp.import_charge(Charge(ChargeId("ch_1"), CUS, usd("20.00"), start, ChargeStatus.SUCCEEDED, InvoiceId("in_a")))
        amount = usd("25.00") if bad == "over-refund" else usd("5.00")
        imp.import_refund(Refund(RefundId("re_1"), ChargeId("ch_1"), CUS, amount, start))
        if bad == "duplicate customer":
            imp.create_customer(Customer(CUS, "Ana", "ana@example.com", Address(), None, at("2026-06-01")))
    assert words in str(err.value)
    assert isinstance(err.value, ProcessorError)
    assert table_counts() == before
