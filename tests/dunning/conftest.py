"""Fixtures for dunning: a sandbox on SQLite with customers whose renewal is about to fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial

import pytest

from purser.app import build_dunning
from purser.config import Settings
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
from purser.dunning.service import Dunning
from purser.money import Money
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database

PUBLIC_URL = "https://billing.example.test"
START = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
"""Subscriptions start here; the renewal (and its failure) is on 1 December 2026 at 15:00 UTC."""
RENEWAL = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """An aware UTC datetime from an ISO string without offset."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def db() -> Iterator[Database]:
    """An empty in-memory SQLite store with every table."""
    database = Database("sqlite://")
    database.create_all()
    yield database
    database.dispose()


@pytest.fixture
def processor(db: Database) -> SandboxProcessor:
    """The sandbox over `db`, with the plan catalogue and the clock just before the renewals."""
    sandbox = SandboxProcessor(db)
    with sandbox.bulk_import() as imp:
        imp.create_plan(Plan(PlanId("pro-monthly"), "Pro", Money.parse("50.00", "usd"), Interval.MONTH))
        imp.create_plan(Plan(PlanId("pro-eur"), "Pro EU", Money.parse("40.00", "eur"), Interval.MONTH))
        imp.set_clock(at("2026-11-20T00:00:00"))
    return sandbox


@pytest.fixture
def settings() -> Settings:
    """Settings with a fixed public URL and link secret."""
    return Settings(public_url=PUBLIC_URL, link_secret="test-link-secret")


@pytest.fixture
def dunning(settings: Settings, db: Database, processor: SandboxProcessor) -> Dunning:
    """The dunning service as the bootstrap wires it."""
    return build_dunning(settings, db, processor)


AddCustomer = Callable[..., CustomerId]


@pytest.fixture
def add(processor: SandboxProcessor) -> AddCustomer:
    """`add("cus_a", behavior=..., country=...)`: a customer whose renewal on RENEWAL charges that card."""
    return partial(add_customer, processor)


def add_customer(
    processor: SandboxProcessor,
    cid: str,
    *,
    behavior: PaymentBehavior = PaymentBehavior.DECLINES,
    country: str = "US",
    plan: str = "pro-monthly",
    exp: tuple[int, int] = (2030, 4),
) -> CustomerId:
    """A customer on `plan` since START whose card behaves as `behavior` (renews on RENEWAL)."""
    cust = CustomerId(cid)
    with processor.bulk_import() as imp:
        imp.create_customer(Customer(cust, cid.title(), f"{cid}@example.com", Address(country=country), None, START))
        imp.add_payment_method(PaymentMethod(PaymentMethodId(f"pm_{cid}"), cust, "visa", "4242", *exp, True, behavior))
        imp.import_subscription(
            Subscription(
                id=SubscriptionId(f"sub_{cid}"),
                customer_id=cust,
                plan_id=PlanId(plan),
                quantity=1,
                status=SubscriptionStatus.ACTIVE,
                created=START,
                current_period_start=START,
                current_period_end=RENEWAL,
            )
        )
    return cust
