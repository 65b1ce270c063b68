"""Sandbox engine throughput: lookups, refunds, plan changes and a month of clock on 10,000 customers.

    .venv/bin/python benchmarks/sandbox_ops.py                     # SQLite file + local PostgreSQL
    .venv/bin/python benchmarks/sandbox_ops.py --customers 2000 --ops 200 --backends sqlite

Each backend gets a fresh database (a temporary SQLite file; a throw-away PostgreSQL
database `purser_bench_<random>` on 127.0.0.1, dropped afterwards). The world is written
with executemany (setup is not measured); every measured operation goes through
`SandboxProcessor` exactly as the agent's gateway calls it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import insert

from purser.domain import ChargeId, CustomerId, PlanId, SubscriptionId
from purser.money import Money
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database
from purser.store import sandbox_tables as t

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
console = Console()


def seed(db: Database, customers: int) -> None:
    """Plans, then `customers` customers each with a card, a monthly subscription, a paid invoice and charge.

    Period starts are spread over November so the month's advance renews every customer once, on 30 days."""
    plans = [
        {"id": "pro-monthly", "name": "Pro", "amount": 2000, "currency": "usd", "interval": "month", "per_seat": False},
        {
            "id": "biz-monthly",
            "name": "Business",
            "amount": 5000,
            "currency": "usd",
            "interval": "month",
            "per_seat": False,
        },
    ]
    rows: dict[str, list[dict[str, object]]] = {k: [] for k in ("c", "pm", "s", "i", "l", "ch")}
    for n in range(customers):
        cid = f"cus_{n:05d}"
        start = START + timedelta(days=n % 30)
        end = datetime(2026, 12, start.day, tzinfo=UTC)
        rows["c"].append(
            {
                "id": cid,
                "name": f"Customer {n}",
                "email": f"c{n}@example.com",
                "country": "US",
                "balance": 0,
                "currency": "usd",
                "created": START,
                "invoice_prefix": f"C{n:05d}",
                "next_invoice_number": 2,
            }
        )
        rows["pm"].append(
            {
                "id": f"pm_{n:05d}",
                "customer_id": cid,
                "brand": "visa",
                "last4": "4242",
                "exp_year": 2030,
                "exp_month": 1,
                "behavior": "succeeds" if n % 50 else "declines",
                "is_default": True,
            }
        )
        rows["s"].append(
            {
                "id": f"sub_{n:05d}",
                "customer_id": cid,
                "plan_id": "pro-monthly",
                "quantity": 1,
                "status": "active",
                "created": start,
                "billing_cycle_anchor": start,
                "current_period_start": start,
                "current_period_end": end,
                "cancel_at_period_end": False,
            }
        )
        rows["i"].append(
            {
                "id": f"in_{n:05d}",
                "customer_id": cid,
                "subscription_id": f"sub_{n:05d}",
                "number": f"C{n:05d}-0001",
                "status": "paid",
                "billing_reason": "subscription_cycle",
                "created": start,
                "currency": "usd",
                "subtotal": 2000,
                "tax": 0,
                "total": 2000,
                "credit_applied": 0,
                "amount_paid": 2000,
                "attempts": 0,
            }
        )
        rows["l"].append(
            {
                "invoice_id": f"in_{n:05d}",
                "position": 0,
                "description": "Pro",
                "amount": 2000,
                "currency": "usd",
                "quantity": 1,
                "period_start": start,
                "period_end": end,
                "proration": False,
                "plan_id": "pro-monthly",
            }
        )
        rows["ch"].append(
            {
                "id": f"ch_{n:05d}",
                "customer_id": cid,
                "invoice_id": f"in_{n:05d}",
                "payment_method_id": f"pm_{n:05d}",
                "amount": 2000,
                "currency": "usd",
                "amount_refunded": 0,
                "status": "succeeded",
                "disputed": False,
                "created": start,
            }
        )
    with db.begin() as conn:
        conn.execute(insert(t.plans), plans)
        for key, table in (
            ("c", t.customers),
            ("pm", t.payment_methods),
            ("s", t.subscriptions),
            ("i", t.invoices),
            ("l", t.invoice_lines),
            ("ch", t.charges),
        ):
            conn.execute(insert(table), rows[key])
        conn.execute(insert(t.clock).values(id=1, now=NOW))


@contextmanager
def backend(name: str, *, wal: bool = False) -> Iterator[Database]:
    """A fresh, migrated database of kind `name` (`wal`: put the SQLite file in WAL journal mode)."""
    if name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
            db.migrate()
            if wal:  # persistent in the file; set outside SQLAlchemy (Database wraps every use in BEGIN)
                import sqlite3

                raw = sqlite3.connect(Path(tmp) / "bench.db")
                raw.execute("PRAGMA journal_mode=WAL")
                raw.close()
            try:
                yield db
            finally:
                db.dispose()
        return
    import psycopg

    dbname = f"purser_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}")
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


CPU_MS: dict[str, float] = {}
"""Client CPU milliseconds per operation, by label (less sensitive to a busy machine than wall time)."""


def measure(progress: Progress, label: str, items: list[int], op: Callable[[int], object]) -> float:
    """Run `op` over `items` with a progress bar; returns operations per second (wall clock)."""
    task = progress.add_task(label, total=len(items))
    began, cpu = time.perf_counter(), time.process_time()
    for item in items:
        op(item)
        progress.advance(task)
    CPU_MS[label] = (time.process_time() - cpu) * 1000 / max(len(items), 1)
    return len(items) / (time.perf_counter() - began)


def run(name: str, customers: int, ops: int, seed_value: int, wal: bool = False) -> dict[str, float]:
    """All four measurements on one backend."""
    rng = random.Random(seed_value)
    results: dict[str, float] = {}
    with backend(name, wal=wal) as db:
        began = time.perf_counter()
        seed(db, customers)
        console.print(f"[dim]{name}: seeded {customers:,} customers in {time.perf_counter() - began:.1f}s[/]")
        proc = SandboxProcessor(db)
        picks = rng.sample(range(customers), min(ops * 2, customers))
        lookups, changes = picks[:ops], picks[ops : 2 * ops] or picks[:ops]
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            results["lookup (snapshot)"] = measure(
                progress, f"{name} lookup", lookups, lambda n: proc.snapshot(CustomerId(f"cus_{n:05d}"))
            )
            results["refund"] = measure(
                progress,
                f"{name} refund",
                lookups,
                lambda n: proc.refund(
                    ChargeId(f"ch_{n:05d}"),
                    Money(100, "usd"),
                    reason="requested_by_customer",
                    metadata={"bench": "1"},
                    idempotency_key=f"r-{n}",
                ),
            )
            now = proc.now()
            results["plan change (now_prorated)"] = measure(
                progress,
                f"{name} plan change",
                [n for n in changes if n % 50],  # skip the declining cards
                lambda n: proc.change_subscription(
                    SubscriptionId(f"sub_{n:05d}"),
                    plan_id=PlanId("biz-monthly"),
                    quantity=1,
                    timing="now_prorated",
                    proration_date=now,
                    idempotency_key=f"c-{n}",
                ),
            )
            task = progress.add_task(f"{name} advance 1 month", total=1)
            began, cpu = time.perf_counter(), time.process_time()
            report = proc.advance_clock(NOW + timedelta(days=31))
            elapsed = time.perf_counter() - began
            CPU_MS[f"{name} advance"] = (time.process_time() - cpu) * 1000 / max(report.renewals, 1)
            progress.advance(task)
        assert report.renewals == customers, report
        results["clock advance: renewals/s"] = report.renewals / elapsed
        results["clock advance: seconds for the month"] = elapsed
    return results


def main() -> None:
    """Parse arguments, run every backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--ops", type=int, default=500, help="operations per measured kind")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sqlite-wal", action="store_true", help="SQLite in WAL mode (the default is rollback)")
    args = parser.parse_args()
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    all_results = {name: run(name, args.customers, args.ops, args.seed, args.sqlite_wal) for name in names}
    table = Table(
        title=f"Sandbox engine, {args.customers:,} customers ({platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()})"
    )
    table.add_column("operation")
    for name in names:
        table.add_column(f"{name} ops/s", justify="right")
    for key in next(iter(all_results.values())):
        table.add_row(key, *(f"{all_results[n][key]:,.1f}" for n in names))
    console.print(table)
    cpu = Table(title="Client CPU ms per operation (per renewal for the advance)")
    cpu.add_column("measurement")
    cpu.add_column("CPU ms/op", justify="right")
    for label, value in CPU_MS.items():
        cpu.add_row(label, f"{value:.1f}")
    console.print(cpu)
    console.print(f"[dim]{platform.platform()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}[/]")


if __name__ == "__main__":
    main()
