"""Sandbox worlds for dunning tests, demos and benchmarks: customers whose renewal is about to fail.

with sandbox.bulk_import() as imp:
    imp.create_plan(PRO)
    add_failing_customer(imp, "cus_ada", behavior=PaymentBehavior.INSUFFICIENT_FUNDS, country="GB")
    imp.set_clock(datetime(2026, 11, 30, tzinfo=UTC))
# advancing past RENEWAL (1 December 2026, 15:00 UTC) declines the card and opens a dunning case
"""

from __future__ import annotations

from datetime import UTC, datetime

from purser.domain import (
    Address,
    Customer,
    CustomerId,
    Interval,
    PaymentBehavior,
    PaymentMethod,
    PaymentMethodId,
    Plan,
    PlanId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.sandbox.importer import BulkImporter

__all__ = ["PRO", "RENEWAL", "START", "add_failing_customer"]

PRO = Plan(PlanId("pro"), "Pro", Money.parse("50.00", "usd"), Interval.MONTH)
"""A $50.00 monthly plan."""
START = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
"""When the subscriptions start."""
RENEWAL = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
"""When they renew (and the card is charged) by default."""


def add_failing_customer(
    imp: BulkImporter,
    cid: str,
    *,
    behavior: PaymentBehavior = PaymentBehavior.DECLINES,
    country: str = "US",
    plan: PlanId = PRO.id,
    start: datetime = START,
    renewal: datetime = RENEWAL,
    exp: tuple[int, int] = (2030, 4),
) -> CustomerId:
    """A customer (email `<cid>@example.com`) with a Visa ending 4242 that behaves as `behavior` (expiring
    `exp`), on `plan` since `start`, renewing at `renewal`. The plan must exist."""
    cust = CustomerId(cid)
    imp.create_customer(Customer(cust, cid.title(), f"{cid}@example.com", Address(country=country), None, start))
    imp.add_payment_method(PaymentMethod(PaymentMethodId(f"pm_{cid}"), cust, "visa", "4242", *exp, True, behavior))
    sub = SubscriptionId(f"sub_{cid}")
    imp.import_subscription(Subscription(sub, cust, plan, 1, SubscriptionStatus.ACTIVE, start, start, renewal))
    return cust
