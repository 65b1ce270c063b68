"""Opt-in: the adapter against Stripe's test mode, on a test clock. Skipped unless STRIPE_TEST_SECRET_KEY is set.

These tests reach api.stripe.com, so they never run in CI (which has no network and no key).
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from purser.domain import ChargeId, CustomerId, PlanId, SubscriptionId
from purser.money import Money
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe.client import make_client

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY")
pytestmark = pytest.mark.skipif(not KEY or not KEY.startswith("sk_test_"), reason="STRIPE_TEST_SECRET_KEY not set")


def test_lifecycle_on_a_test_clock() -> None:
    assert KEY is not None
    client = make_client(KEY)
    v1 = client.v1
    clock = v1.test_helpers.test_clocks.create({"frozen_time": int(time.time()), "name": "purser-live"})
    try:
        product = v1.products.create({"name": f"Purser Pro {uuid.uuid4().hex[:6]}"})
        pro = v1.prices.create(
            {"product": product.id, "unit_amount": 2000, "currency": "usd", "recurring": {"interval": "month"}}
        )
        biz = v1.prices.create(
            {"product": product.id, "unit_amount": 5000, "currency": "usd", "recurring": {"interval": "month"}}
        )
        customer = v1.customers.create({"email": "live@example.com", "test_clock": clock.id})
        pm = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
        v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
        sub = v1.subscriptions.create({"customer": customer.id, "items": [{"price": pro.id}]})
        processor = StripeProcessor(client)
        snap = processor.snapshot(CustomerId(customer.id))
        assert snap.subscription is not None and snap.subscription.id == sub.id
        quote = processor.preview_change(
            SubscriptionId(sub.id), plan_id=PlanId(biz.id), quantity=1, timing="now_prorated",
            proration_date=snap.now,
        )  # fmt: skip
        assert quote.amount_due_now is not None
        refund = processor.refund(
            ChargeId(snap.charges[0].id), Money(100, "usd"), reason="requested_by_customer",
            metadata={"conversation_id": "live"}, idempotency_key=f"live:{uuid.uuid4().hex}",
        )  # fmt: skip
        assert refund.amount == Money(100, "usd")
    finally:
        v1.test_helpers.test_clocks.delete(clock.id)
