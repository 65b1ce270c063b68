"""PostgreSQL row locks: one global order (customer → subscription → invoice → charge), and retries.

The renewal batch locks its customers, then their subscriptions, then their open invoices; plan
changes, seat changes and refunds lock the owning customer first (`queries.lock_owner`). Running
them together on the same customers must never deadlock — checked with PostgreSQL's own deadlock
counter, since `Database.run_write` would otherwise hide a deadlock by re-running its victim — and
must leave consistent books. A unit that PostgreSQL does abort as a deadlock victim is re-run when
it says it is safe to (`retry_conflicts=True`), and raised when it does not.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import OperationalError

from purser.domain import ChargeId, PlanId, SubscriptionId
from purser.money import Money
from purser.processors.errors import ProcessorError
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database
from purser.store import sandbox_tables as t

pytestmark = pytest.mark.postgres

CUSTOMERS = 40
START = datetime(2026, 11, 16, tzinfo=UTC)
TARGET = datetime(2026, 12, 15, tzinfo=UTC)


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    db = Database(pg_url)
    db.create_all()
    yield db
    db.dispose()


def _deadlocks(url: str) -> int:
    # PostgreSQL's own count of deadlocks detected in this database (its statistics are flushed by
    # each backend at exit, so callers dispose their connections first).
    name = url.rsplit("/", 1)[1]
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()
    return int(row[0]) if row else 0


def _populate(processor: SandboxProcessor, make_world: Any) -> None:
    world = make_world(processor)
    world.plans()
    for i in range(CUSTOMERS):
        if i % 2:
            world.customer(f"cus_{i:03d}", plan="pro-monthly")
        else:
            world.customer(f"cus_{i:03d}", plan="team-monthly", quantity=2)


def _customer_ops(processor: SandboxProcessor, i: int) -> list[str]:
    """One customer's writes, in order: a plan or seat change, then two refunds of its paid charge."""
    cid = f"cus_{i:03d}"
    outcomes: list[str] = []
    sub = SubscriptionId(f"sub_{cid}")
    plan, quantity = ("business-monthly", 1) if i % 2 else ("team-monthly", 3)
    try:
        processor.change_subscription(
            sub,
            plan_id=PlanId(plan),
            quantity=quantity,
            timing="now_prorated",
            proration_date=START,
            idempotency_key=f"chg-{cid}",
        )
        outcomes.append("changed")
    except ProcessorError as exc:  # e.g. renewed first: the proration date is before the new period
        outcomes.append(f"change refused: {exc.code}")
    for n in range(2):
        processor.refund(
            ChargeId(f"ch_{cid}"),
            Money.parse("1.00", "usd"),
            reason=None,
            metadata={},
            idempotency_key=f"re-{cid}-{n}",
        )
        outcomes.append("refunded")
    return outcomes


def test_renewals_plan_changes_and_refunds_never_deadlock(pg_db: Database, pg_url: str, make_world: Any) -> None:
    populating = SandboxProcessor(pg_db)
    _populate(populating, make_world)
    pg_db.dispose()
    before = _deadlocks(pg_url)
    # Small batches: the advancer holds many customers' locks at a time while the others write.
    processor = SandboxProcessor(pg_db, advance_batch=8)
    writers = 3
    start = threading.Barrier(1 + writers)

    def advance() -> Any:
        start.wait()
        return processor.advance_clock(TARGET)

    def write(k: int) -> list[str]:
        # Writer k takes every fourth customer from k: customers the batches lock too.
        start.wait()
        return [o for i in range(k, CUSTOMERS, 4) for o in _customer_ops(processor, i)]

    with ThreadPoolExecutor(max_workers=1 + writers) as pool:
        renewing = pool.submit(advance)
        written = [pool.submit(write, k) for k in range(writers)]
        report = renewing.result()
        outcomes = [o for w in written for o in w.result()]
    pg_db.dispose()
    time.sleep(0.5)  # backends flush their statistics as they exit
    assert _deadlocks(pg_url) == before, "PostgreSQL detected a deadlock"

    assert report.renewals == CUSTOMERS
    assert Counter(outcomes)["refunded"] == 2 * 30  # three writers, every fourth customer each
    with pg_db.read() as conn:
        _assert_consistent(conn)


def _assert_consistent(conn: Connection) -> None:
    inv, ch, re, sub = t.invoices.c, t.charges.c, t.refunds.c, t.subscriptions.c
    # Renewed exactly once: one cycle invoice per customer, and invoice numbers never reused.
    renewed = select(inv.customer_id).where(
        inv.billing_reason == "subscription_cycle", inv.created >= at("2026-12-01T00:00:00")
    )
    cycles = Counter(r.customer_id for r in conn.execute(renewed))
    assert cycles == Counter({f"cus_{i:03d}": 1 for i in range(CUSTOMERS)})
    numbers = [r.number for r in conn.execute(select(inv.number))]
    assert len(numbers) == len(set(numbers))
    # Every subscription was renewed into the December period.
    ends = {r.current_period_end.replace(tzinfo=UTC) for r in conn.execute(select(sub.current_period_end))}
    assert ends == {at("2027-01-01T00:00:00")}
    # A charge's refunded amount is the sum of its refunds, never more than the charge.
    refunded = Counter[str]()
    for r in conn.execute(select(re.charge_id, re.amount)):
        refunded[r.charge_id] += int(r.amount)
    for r in conn.execute(select(ch.id, ch.amount, ch.amount_refunded)):
        assert int(r.amount_refunded or 0) == refunded.get(r.id, 0) <= int(r.amount)


def _lock(conn: Connection, customer_id: str) -> None:
    conn.execute(text("SELECT id FROM sbx_customers WHERE id = :id FOR UPDATE"), {"id": customer_id})


def _crossed_writes(db: Database, *, retry: bool) -> tuple[list[Any], Counter[str]]:
    """Two units locking two customers in opposite orders: PostgreSQL aborts one as a deadlock victim."""
    both = threading.Barrier(2)
    attempts = Counter[str]()

    def unit(first: str, second: str) -> Any:
        def run(conn: Connection) -> str:
            attempts[first] += 1
            _lock(conn, first)
            if attempts[first] == 1:
                both.wait()  # both hold their first lock: each now waits for the other's
            _lock(conn, second)
            return first

        try:
            return db.run_write(run, retry_conflicts=retry)
        except OperationalError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda pair: unit(*pair), [("cus_000", "cus_001"), ("cus_001", "cus_000")]))
    return results, attempts


def test_a_deadlock_victim_is_rerun_only_when_safe(pg_db: Database, make_world: Any) -> None:
    world = make_world(SandboxProcessor(pg_db))
    world.plans()
    world.customer("cus_000")
    world.customer("cus_001")

    results, attempts = _crossed_writes(pg_db, retry=True)
    assert sorted(results) == ["cus_000", "cus_001"]
    assert sum(attempts.values()) == 3  # the victim ran twice

    results, _ = _crossed_writes(pg_db, retry=False)
    errors = [r for r in results if isinstance(r, OperationalError)]
    assert len(errors) == 1
    assert errors[0].orig is not None and errors[0].orig.sqlstate == "40P01"
