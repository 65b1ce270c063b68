"""Fixtures for the sandbox engine: a processor on SQLite and on PostgreSQL, and a world builder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from purser.domain import (
    Address,
    Charge,
    ChargeId,
    ChargeStatus,
    Customer,
    CustomerId,
    Interval,
    Invoice,
    InvoiceId,
    InvoiceStatus,
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
from purser.processors.sandbox import SandboxProcessor
from purser.processors.sandbox.clock import period_end_for
from purser.store import Database, metadata
from purser.store import sandbox_tables as t

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def at(text: str) -> datetime:
    """An aware UTC datetime from an ISO string without offset."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="session")
def sbx_pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the sandbox tests, dropped at the end of the session."""
    import psycopg

    name = f"purser_sbx_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sbx_pg_db(sbx_pg_url: str) -> Iterator[Database]:
    """One PostgreSQL `Database` with every table, shared by the session."""
    db = Database(sbx_pg_url)
    db.create_all()
    yield db
    db.dispose()


_SBX_TABLES = [tbl for tbl in reversed(metadata.sorted_tables) if tbl.name.startswith("sbx_")]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """An empty sandbox database on SQLite (in memory) or on the session's PostgreSQL database."""
    if request.param == "sqlite":
        sqlite = Database("sqlite://")
        sqlite.create_all()
        yield sqlite
        sqlite.dispose()
        return
    yield request.getfixturevalue("sbx_pg_clean")


@pytest.fixture
def sbx_pg_clean(sbx_pg_db: Database) -> Database:
    """The session's PostgreSQL database with every sbx_ table emptied."""
    with sbx_pg_db.begin() as conn:
        for table in _SBX_TABLES:
            conn.execute(delete(table))
    return sbx_pg_db


@pytest.fixture
def processor(db: Database) -> SandboxProcessor:
    """A sandbox processor on `db`."""
    return SandboxProcessor(db)


PLANS = [
    Plan(PlanId("basic-monthly"), "Basic", Money.parse("10.00", "usd"), Interval.MONTH),
    Plan(PlanId("pro-monthly"), "Pro", Money.parse("20.00", "usd"), Interval.MONTH),
    Plan(PlanId("business-monthly"), "Business", Money.parse("50.00", "usd"), Interval.MONTH),
    Plan(PlanId("team-monthly"), "Team", Money.parse("12.00", "usd"), Interval.MONTH, per_seat=True),
    Plan(PlanId("pro-yearly"), "Pro", Money.parse("200.00", "usd"), Interval.YEAR),
    Plan(PlanId("jp-monthly"), "Pro JP", Money.parse("1500", "jpy"), Interval.MONTH),
    Plan(PlanId("eur-monthly"), "Pro EU", Money.parse("20.00", "eur"), Interval.MONTH),
]


@dataclass
class World:
    """Builds sandbox worlds through the import API."""

    processor: SandboxProcessor

    def plans(self) -> None:
        """The standard catalogue."""
        with self.processor.bulk_import() as imp:
            for plan in PLANS:
                imp.create_plan(plan)

    def customer(
        self,
        cid: str = "cus_li",
        *,
        plan: str = "pro-monthly",
        quantity: int = 1,
        period_start: str = "2026-11-01T00:00:00",
        created: str | None = None,
        status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
        behavior: PaymentBehavior = PaymentBehavior.SUCCEEDS,
        exp: tuple[int, int] = (2030, 4),
        country: str = "US",
        vat_id: str | None = None,
        trial_end: str | None = None,
        resumes_at: str | None = None,
        cancel_at_period_end: bool = False,
        paid_invoice: bool = True,
        now: str | None = "2026-11-16T00:00:00",
    ) -> Subscription:
        """A customer with a card, a subscription and (optionally) the paid invoice of the current period."""
        plan_obj = next(p for p in PLANS if p.id == plan)
        start = at(period_start)
        made = at(created) if created else start
        end = at(trial_end) if trial_end else period_end_for(made, start, plan_obj.interval)
        cust_id = CustomerId(cid)
        sub = Subscription(
            id=SubscriptionId(f"sub_{cid}"),
            customer_id=cust_id,
            plan_id=PlanId(plan),
            quantity=quantity,
            status=status,
            created=made,
            current_period_start=start,
            current_period_end=end,
            cancel_at_period_end=cancel_at_period_end,
            trial_end=at(trial_end) if trial_end else None,
            resumes_at=at(resumes_at) if resumes_at else None,
        )
        with self.processor.bulk_import() as imp:
            imp.create_customer(
                Customer(cust_id, cid.title(), f"{cid}@example.com", Address(country=country), vat_id, start)
            )
            imp.add_payment_method(
                PaymentMethod(PaymentMethodId(f"pm_{cid}"), cust_id, "visa", "4242", exp[0], exp[1], True, behavior)
            )
            imp.import_subscription(sub)
            if paid_invoice and status is not SubscriptionStatus.TRIALING:
                amount = plan_obj.price_for(quantity)
                zero = Money.zero(amount.currency)
                imp.import_invoice(
                    Invoice(
                        InvoiceId(f"in_{cid}"),
                        cust_id,
                        f"{cid.upper()[4:]}-0001",
                        InvoiceStatus.PAID,
                        start,
                        amount,
                        zero,
                        amount,
                        subscription_id=sub.id,
                    )
                )
                imp.import_charge(
                    Charge(
                        ChargeId(f"ch_{cid}"),
                        cust_id,
                        amount,
                        start,
                        ChargeStatus.SUCCEEDED,
                        InvoiceId(f"in_{cid}"),
                        PaymentMethodId(f"pm_{cid}"),
                    )
                )
            if now:
                imp.set_clock(at(now))
        return sub


@pytest.fixture
def world(processor: SandboxProcessor) -> World:
    """A world builder with the standard plans loaded."""
    w = World(processor)
    w.plans()
    return w


@pytest.fixture
def table_counts(processor: SandboxProcessor) -> object:
    """A function returning the row count of every sbx_ table (to prove nothing changed)."""
    from sqlalchemy import func, select

    def counts() -> dict[str, int]:
        with processor.db.read() as conn:
            return {
                tbl.name: int(conn.execute(select(func.count()).select_from(tbl)).scalar_one())
                for tbl in _SBX_TABLES
                if tbl is not t.clock
            }

    return counts


@pytest.fixture
def make_world() -> type[World]:
    """The world builder class, for tests that build their own processor."""
    return World
