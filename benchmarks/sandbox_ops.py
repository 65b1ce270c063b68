"""Sandbox engine speed: account snapshot, refund, plan change and a month of renewals on 10,000 customers.

    .venv/bin/python benchmarks/sandbox_ops.py                                   # SQLite file + local PostgreSQL
    .venv/bin/python benchmarks/sandbox_ops.py --customers 2000 --ops 200 --backends sqlite

Each backend gets a fresh, migrated database (a temporary SQLite file in WAL mode; a throw-away
PostgreSQL database `purser_bench_<random>` on 127.0.0.1, dropped afterwards). The world is written
with executemany (not measured): `--customers` customers with a card (one in fifty declines), a
monthly subscription whose period ends in December, its paid invoice and charge. Every measured
operation goes through `SandboxProcessor` exactly as the agent's gateway calls it:

- snapshot: `snapshot(customer_id)` of `--ops` random customers;
- refund: 1.00 of a charge, under a fresh idempotency key;
- plan change: `change_subscription(..., timing="now_prorated")` to a dearer plan (invoice + charge);
- renewals: one `advance_clock` over the month, which renews every customer once.

The machine is shared, so CPU time (`time.process_time` of this process, the client; PostgreSQL's
own CPU is not in it) is the figure that counts (DESIGN §12): median CPU ms per operation and
operations per CPU-second, next to the wall-clock rate. The date, the command and the load average
are printed with the figures, and a markdown table ready for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
def backend(name: str) -> Iterator[Database]:
    """A fresh, migrated database of kind `name` (`sqlite`: a temporary file; `postgres`: a throw-away database)."""
    if name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
            db.migrate()
            try:
                yield db
            finally:
                db.dispose()
        return
    if name != "postgres":
        raise SystemExit(f"unknown backend {name!r}: expected sqlite or postgres")
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


@dataclass
class Figure:
    """One measured operation on one backend."""

    count: int
    cpu_ms_median: float
    """Median CPU milliseconds of one operation (per renewal: the whole month's CPU / renewals)."""
    cpu_per_s: float
    """Operations per CPU-second (count / total CPU seconds)."""
    wall_per_s: float
    """Operations per wall-clock second."""
    wall_s: float
    """Wall-clock seconds of the whole measurement."""


def measure(progress: Progress, label: str, items: list[int], op: Callable[[int], object]) -> Figure:
    """Run `op` over `items`, timing each call's CPU; one progress bar."""
    task = progress.add_task(label, total=len(items))
    cpu: list[float] = []
    began = time.perf_counter()
    for item in items:
        start = time.process_time()
        op(item)
        cpu.append(time.process_time() - start)
        progress.advance(task)
    wall = time.perf_counter() - began
    total = sum(cpu) or 1e-9
    return Figure(len(items), statistics.median(cpu) * 1000, len(items) / total, len(items) / wall, wall)


def run(name: str, customers: int, ops: int, seed_value: int) -> dict[str, Figure]:
    """The four measurements on one backend."""
    rng = random.Random(seed_value)
    results: dict[str, Figure] = {}
    with backend(name) as db:
        began = time.perf_counter()
        seed(db, customers)
        console.print(f"[dim]{name}: seeded {customers:,} customers in {time.perf_counter() - began:.1f}s[/]")
        proc = SandboxProcessor(db)
        picks = rng.sample(range(customers), min(ops * 2, customers))
        lookups, changes = picks[:ops], picks[ops : 2 * ops] or picks[:ops]
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            for n in lookups[:20]:  # warm the statement caches, as a running server has them
                proc.snapshot(CustomerId(f"cus_{n:05d}"))
            results["snapshot"] = measure(
                progress, f"{name} snapshot", lookups, lambda n: proc.snapshot(CustomerId(f"cus_{n:05d}"))
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
                [n for n in changes if n % 50],  # the declining cards would refuse the change
                lambda n: proc.change_subscription(
                    SubscriptionId(f"sub_{n:05d}"),
                    plan_id=PlanId("biz-monthly"),
                    quantity=1,
                    timing="now_prorated",
                    proration_date=now,
                    idempotency_key=f"c-{n}",
                ),
            )
            task = progress.add_task(f"{name} one month of renewals", total=customers)
            began, cpu = time.perf_counter(), time.process_time()
            report = proc.advance_clock(
                NOW + timedelta(days=31), on_batch=lambda done, due: progress.update(task, completed=done, total=due)
            )
            cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - began
        if report.renewals != customers:
            raise SystemExit(f"{name}: expected {customers} renewals, the clock made {report.renewals}")
        n = report.renewals
        results["renewals (one month)"] = Figure(n, cpu_s * 1000 / n, n / cpu_s, n / wall_s, wall_s)
    return results


BUDGETS = {"snapshot": "≤ 1 ms", "renewals (one month)": "≥ 2,000/s"}
"""DESIGN §12."""


def markdown(names: list[str], results: dict[str, dict[str, Figure]]) -> str:
    """The README table: one row per operation and backend."""
    lines = [
        "| operation | backend | CPU ms/op (median) | ops per CPU-second | ops/s (wall) | budget |",
        "|---|---|---:|---:|---:|---|",
    ]
    for key in results[names[0]]:
        for n in names:
            f = results[n][key]
            row = f"| {key} | {n} | {f.cpu_ms_median:.2f} | {f.cpu_per_s:,.0f} | {f.wall_per_s:,.0f} |"
            lines.append(f"{row} {BUDGETS.get(key, '')} |")
    month = ", ".join(f"{n} {results[n]['renewals (one month)'].wall_s:.1f} s" for n in names)
    count = results[names[0]]["renewals (one month)"].count
    lines += ["", f"One month of clock on {count:,} customers, wall: {month}."]
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run every backend, print the figures with the date and the command."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000, help="customers in the world (default 10,000)")
    parser.add_argument("--ops", type=int, default=500, help="operations per measured kind (default 500)")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the customer picks")
    args = parser.parse_args()
    if args.customers < 1 or args.ops < 1:
        parser.error("--customers and --ops must be at least 1")
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    command = "python benchmarks/sandbox_ops.py " + shlex.join(sys.argv[1:])
    started = datetime.now(UTC)
    results = {name: run(name, args.customers, args.ops, args.seed) for name in names}
    table = Table(title=f"Sandbox engine, {args.customers:,} customers, {args.ops:,} operations each")
    for column in ("operation", "backend", "CPU ms/op", "ops/CPU-s", "ops/s wall", "budget"):
        table.add_column(column, justify="left" if column in ("operation", "backend", "budget") else "right")
    for key in results[names[0]]:
        for name in names:
            f = results[name][key]
            cells = (f"{f.cpu_ms_median:.2f}", f"{f.cpu_per_s:,.0f}", f"{f.wall_per_s:,.0f}")
            table.add_row(key, name, *cells, BUDGETS.get(key, ""))
    console.print(table)
    load = os.getloadavg()[0]
    stamp = f"{started:%Y-%m-%d %H:%M} UTC, load average {load:.1f}, {os.cpu_count()} CPUs, " + (
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    print()
    print(f"`{command}` ({stamp})")
    print()
    print(markdown(names, results))


if __name__ == "__main__":
    main()
