"""StripeProcessor over real HTTP against localstripe, for what localstripe supports."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import stripe

from purser.domain import Address, ChargeId, CustomerId, SubscriptionId
from purser.money import Money
from purser.processors.errors import InvalidRequest, NotFound
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe.client import make_client


@pytest.fixture
def client(localstripe_url: str) -> stripe.StripeClient:
    return make_client("sk_test_purser", api_base=localstripe_url)


@pytest.fixture
def processor(client: stripe.StripeClient) -> StripeProcessor:
    return StripeProcessor(client)


def _seed(client: stripe.StripeClient, *, country: str = "FR") -> dict[str, Any]:
    v1 = client.v1
    plan_id = f"pro-monthly-{uuid.uuid4().hex[:6]}"
    v1.plans.create({"id": plan_id, "amount": 2000, "currency": "usd", "interval": "month", "product": {"name": "Pro"}})
    cus = v1.customers.create(
        {
            "email": "ana@example.com",
            "name": "Ana Silva",
            "address": {"line1": "1 Rue", "city": "Paris", "postal_code": "75001", "country": country},
        }
    )
    pm = v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2030, "cvc": "123"}}
    )
    v1.payment_methods.attach(pm.id, {"customer": cus.id})
    v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}})
    sub = v1.subscriptions.create({"customer": cus.id, "items": [{"plan": plan_id}]})
    return {"customer": cus.id, "plan": plan_id, "subscription": sub.id, "pm": pm.id}


def test_snapshot_of_a_customer_created_there(client: stripe.StripeClient, processor: StripeProcessor) -> None:
    ids = _seed(client)
    snap = processor.snapshot(CustomerId(ids["customer"]))
    assert snap.customer.name == "Ana Silva"
    assert snap.customer.address.country == "FR"
    assert snap.subscription is not None
    assert snap.subscription.id == ids["subscription"]
    assert snap.subscription.plan_id == ids["plan"]
    assert snap.plan is not None and snap.plan.amount == Money(2000, "usd")
    assert snap.default_payment_method is not None
    assert snap.default_payment_method.last4 == "4242"
    assert [c.amount for c in snap.charges] == [Money(2000, "usd")]
    assert snap.charges[0].invoice_id is not None
    assert any(c.id == ids["customer"] for c in processor.list_customers())


def test_refund_partial_then_full_and_never_more(client: stripe.StripeClient, processor: StripeProcessor) -> None:
    ids = _seed(client)
    charge = processor.snapshot(CustomerId(ids["customer"])).charges[0]
    first = processor.refund(
        ChargeId(charge.id),
        Money(500, "usd"),
        reason=None,  # localstripe rejects `reason`; the replay tests cover it
        metadata={"conversation": "conv_1", "audit_record": "7"},
        idempotency_key="conv_1:act_1",
    )
    assert first.amount == Money(500, "usd")
    assert first.metadata == {"conversation": "conv_1", "audit_record": "7"}
    # localstripe accepts over-refunds: the adapter itself refuses them.
    with pytest.raises(InvalidRequest, match="exceeds"):
        processor.refund(ChargeId(charge.id), Money(1501, "usd"), reason=None, metadata={}, idempotency_key="k2")
    with pytest.raises(InvalidRequest, match=r"currency|EUR|USD"):
        processor.refund(ChargeId(charge.id), Money(100, "eur"), reason=None, metadata={}, idempotency_key="k3")
    rest = processor.refund(ChargeId(charge.id), Money(1500, "usd"), reason=None, metadata={}, idempotency_key="k4")
    assert rest.amount == Money(1500, "usd")
    snap = processor.snapshot(CustomerId(ids["customer"]))
    assert snap.charges[0].refundable == Money(0, "usd")
    assert sorted(r.amount.minor for r in snap.refunds) == [500, 1500]


def test_cancel_at_period_end_and_now(client: stripe.StripeClient, processor: StripeProcessor) -> None:
    ids = _seed(client)
    sub = processor.cancel(SubscriptionId(ids["subscription"]), effective="period_end", idempotency_key="c1")
    assert sub.cancel_at_period_end is True
    sub = processor.cancel(SubscriptionId(ids["subscription"]), effective="now", idempotency_key="c2")
    assert sub.status.value == "canceled"


def test_billing_details_and_vat_id(client: stripe.StripeClient, processor: StripeProcessor) -> None:
    ids = _seed(client)
    cust = processor.update_billing_details(
        CustomerId(ids["customer"]),
        email="compta@acme.example",
        address=Address(line1="2 Rue", city="Lyon", postal_code="69001", country="FR"),
        vat_id="FR40303265045",
        idempotency_key="b1",
    )
    assert cust.email == "compta@acme.example"
    assert cust.address.city == "Lyon"
    assert cust.vat_id == "FR40303265045"
    with pytest.raises(InvalidRequest, match="not a valid EU VAT number"):
        processor.update_billing_details(CustomerId(ids["customer"]), vat_id="FR00000000000", idempotency_key="b2")


def test_unknown_customer_is_not_found(processor: StripeProcessor) -> None:
    with pytest.raises(NotFound):
        processor.snapshot(CustomerId("cus_nope"))
    with pytest.raises(NotFound):
        processor.get_customer(CustomerId("cus_nope"))


def test_get_customer_is_the_snapshots_customer(client: stripe.StripeClient, processor: StripeProcessor) -> None:
    ids = _seed(client)
    customer = processor.get_customer(CustomerId(ids["customer"]))
    assert customer == processor.snapshot(CustomerId(ids["customer"])).customer
    assert customer.name == "Ana Silva"
