"""Loading worlds into the sandbox: every example, Stripe-like period ends, all or nothing, the demo seed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from purser.domain import CustomerId, SubscriptionStatus
from purser.money import Money
from purser.processors.errors import ProcessorError
from purser.processors.sandbox import SandboxProcessor
from purser.store import sandbox_tables as t
from purser.store.db import Database
from purser.worlds import load_scenario_world, parse_world
from purser.worlds.loader import load_world, period_end
from purser.worlds.seed import DEMO_PATH, demo_world, seed

EXAMPLES = sorted(Path(os.environ["PURSER_SHARED"]).joinpath("gym", "examples").glob("*.yaml"))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def processor() -> Iterator[SandboxProcessor]:
    db = Database("sqlite://")
    db.create_all()
    yield SandboxProcessor(db)
    db.dispose()


def counts(p: SandboxProcessor) -> dict[str, int]:
    with p.db.read() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (t.plans, t.customers, t.payment_methods, t.subscriptions, t.invoices, t.charges, t.refunds)
        }


@pytest.mark.parametrize(
    ("created", "start", "interval", "end"),
    [
        (utc(2026, 1, 31), utc(2026, 1, 31), "month", utc(2026, 2, 28)),
        (utc(2028, 1, 31), utc(2028, 1, 31), "month", utc(2028, 2, 29)),
        (utc(2026, 1, 31), utc(2026, 2, 28), "month", utc(2026, 3, 31)),
        (utc(2026, 1, 31), utc(2026, 4, 30), "month", utc(2026, 5, 31)),
        (utc(2026, 6, 1), utc(2026, 11, 1), "month", utc(2026, 12, 1)),
        (utc(2024, 2, 29), utc(2024, 2, 29), "year", utc(2025, 2, 28)),
        (utc(2025, 3, 15, 9, 30), utc(2026, 3, 15, 9, 30), "year", utc(2027, 3, 15, 9, 30)),
        (utc(2026, 11, 10, 9, 30), utc(2026, 11, 10, 9, 30), "month", utc(2026, 12, 10, 9, 30)),
    ],
)
def test_period_end_follows_the_plan_interval_like_stripe(
    created: datetime, start: datetime, interval: str, end: datetime
) -> None:
    assert period_end(created, start, interval) == end


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads_and_reads_back(processor: SandboxProcessor, path: Path) -> None:
    world, now = load_scenario_world(path)
    load_world(processor, world, now)
    assert processor.now() == now
    for customer in world.customers:
        snap = processor.snapshot(CustomerId(customer.id))
        assert snap.customer.email == customer.email
        assert snap.customer.vat_id == customer.vat_id
        assert sorted(c.id for c in snap.charges) == sorted(c.id for c in customer.charges)
        assert {c.id: c.amount for c in snap.charges} == {c.id: c.amount for c in customer.charges}
        assert {i.number for i in snap.invoices} == {i.number for i in customer.invoices}
        assert snap.subscription is not None and customer.subscription is not None
        assert snap.subscription.plan_id == customer.subscription.plan
        assert snap.subscription.current_period_end == utc(2026, 12, 1)
        assert snap.default_payment_method is not None


def test_reverse_charge_note_on_imported_invoices_of_an_eu_business(processor: SandboxProcessor) -> None:
    world, now = load_scenario_world(next(p for p in EXAMPLES if p.name == "vat-invoice-resend.yaml"))
    load_world(processor, world, now)
    snap = processor.snapshot(CustomerId("cus_acme"))
    invoice = snap.invoice("in_acme_10")
    assert invoice is not None and invoice.tax_note and "Reverse charge" in invoice.tax_note
    assert invoice.subtotal == invoice.total == Money(2000, "usd")
    assert invoice.lines[0].plan_id == "pro-monthly" and invoice.lines[0].period_end == utc(2026, 11, 1)


def test_a_world_that_cannot_load_loads_nothing(processor: SandboxProcessor) -> None:
    world, now = demo_world()
    load_world(processor, world, now)
    before = counts(processor)
    clash = parse_world(
        {
            "plans": [{"id": "new-plan", "name": "New", "amount": "1.00", "interval": "month"}],
            "customers": [
                {"id": "cus_new", "name": "New", "email": "new@example.com"},
                {"id": "cus_ana", "name": "Again", "email": "again@example.com"},
            ],
        },
        source="clash.yaml",
    )
    with pytest.raises(ProcessorError, match="cus_ana"):
        load_world(processor, clash, utc(2026, 12, 1))
    assert counts(processor) == before
    assert processor.now() == now
    assert "cus_new" not in {c.id for c in processor.list_customers()}


def test_reset_replaces_the_sandbox(processor: SandboxProcessor) -> None:
    seed(processor)
    world, now = load_scenario_world(EXAMPLES[0])
    load_world(processor, world, now, reset=True)
    assert [c.id for c in processor.list_customers()] == [c.id for c in world.customers]
    assert counts(processor)["sbx_plans"] == len(world.plans)


def test_demo_seed_covers_every_situation(processor: SandboxProcessor) -> None:
    world, now = seed(processor)
    assert DEMO_PATH.name == "demo.yaml" and now == utc(2026, 11, 16)
    ids = {c.id for c in processor.list_customers()}
    assert len(ids) == len(world.customers) >= 10

    def snap(cid: str):  # type: ignore[no-untyped-def]
        return processor.snapshot(CustomerId(cid))

    ana = snap("cus_ana")
    nov = [c for c in ana.charges if c.invoice_id == "in_ana_11"]
    assert len(nov) == 2
    ben = snap("cus_ben")
    assert ben.subscription.status is SubscriptionStatus.PAST_DUE
    assert ben.default_payment_method.behavior.value == "declines"
    assert ben.past_due == Money(5000, "usd")
    failed = [c for c in ben.charges if c.status.value == "failed"]
    assert [c.failure_code for c in failed] == ["card_declined", "card_declined"]
    assert ben.invoices[0].attempts == 2 and ben.invoices[0].next_payment_attempt == utc(2026, 11, 17)
    cleo = snap("cus_cleo").subscription
    assert cleo.status is SubscriptionStatus.PAUSED and cleo.resumes_at == utc(2027, 2, 1)
    dev = snap("cus_dev").subscription
    assert dev.status is SubscriptionStatus.TRIALING and dev.trial_end == dev.current_period_end
    north = snap("cus_north")
    assert north.subscription.quantity == 8 and north.plan.per_seat
    assert north.invoices[0].tax == Money(1920, "usd")
    assert snap("cus_yves").plan.interval.value == "year"
    acme = snap("cus_acme")
    assert acme.customer.vat_id == "DE136695976" and all(i.tax_note for i in acme.invoices)
    assert [c.id for c in snap("cus_dana").charges if c.disputed] == ["ch_dana_10"]
    assert snap("cus_dana").disputes
    kenji = snap("cus_kenji")
    assert {c.amount for c in kenji.charges} == {Money(2000, "jpy")}
    lena = snap("cus_lena")
    assert lena.subscription.cancel_at_period_end and lena.refunds[0].amount == Money(1190, "usd")
    assert snap("cus_omar").subscription.status is SubscriptionStatus.CANCELED


@pytest.fixture(scope="module")
def pg_database() -> Iterator[Database]:
    import psycopg

    try:
        admin = psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError:
        pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"purser_worlds_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        db.create_all()
        yield db
    finally:
        db.dispose()
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_demo_loads_into_postgresql_all_or_nothing(pg_database: Database) -> None:
    processor = SandboxProcessor(pg_database)
    world, now = seed(processor)
    assert len(processor.list_customers()) == len(world.customers)
    before = counts(processor)
    with pytest.raises(ProcessorError):
        load_world(processor, world, now)  # every id exists already
    assert counts(processor) == before
    seed(processor)  # reset + reload in one transaction
    assert counts(processor) == before


def test_open_invoice_retries_follow_the_dunning_schedule(processor: SandboxProcessor) -> None:
    seed(processor)
    report = processor.advance_clock(utc(2026, 11, 20))
    assert "cus_ben" in report.customers
    ben = processor.snapshot(CustomerId("cus_ben"))
    assert ben.invoices[0].attempts == 4  # retries on Nov 17 and 18 exhaust the (3, 5, 7) schedule
    assert ben.subscription is not None and ben.subscription.status is SubscriptionStatus.UNPAID


def test_failed_attempt_ids_avoid_the_worlds_charge_ids(processor: SandboxProcessor) -> None:
    world = parse_world(
        {
            "plans": [{"id": "p", "name": "P", "amount": "5.00", "interval": "month"}],
            "customers": [
                {
                    "id": "c",
                    "name": "C",
                    "email": "c@example.com",
                    "payment_methods": [
                        {
                            "id": "pm",
                            "brand": "visa",
                            "last4": "0002",
                            "exp": "2030-01",
                            "behavior": "insufficient_funds",
                            "default": True,
                        }
                    ],
                    "invoices": [
                        {
                            "id": "in_x",
                            "number": "X-1",
                            "created": "2026-11-01",
                            "amount": "5.00",
                            "status": "open",
                            "attempts": 1,
                        },
                        {"id": "in_y", "number": "X-2", "created": "2026-10-01", "amount": "5.00", "status": "paid"},
                    ],
                    "charges": [
                        {"id": "ch_in_x_attempt1", "invoice": "in_y", "amount": "5.00", "created": "2026-10-01"}
                    ],
                }
            ],
        },
        source="x.yaml",
    )
    load_world(processor, world, utc(2026, 11, 16))
    charges = {str(c.id): c for c in processor.snapshot(CustomerId("c")).charges}
    assert charges["ch_in_x_attempt1x"].failure_code == "insufficient_funds"
    assert charges["ch_in_x_attempt1"].status.value == "succeeded"
