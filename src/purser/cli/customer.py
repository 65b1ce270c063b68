"""`purser customer list|show`: the account snapshot through whichever processor is configured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from purser.cli._common import CONFIG_OPTION, console, err_console
from purser.config import ConfigError, Settings, load_settings
from purser.domain import AccountSnapshot, Address, CustomerId, Plan
from purser.money import Money
from purser.processors.base import BillingProcessor
from purser.processors.errors import NotFound, ProcessorError
from purser.store.db import Database

app = typer.Typer(
    help="Inspect customers: list them, or show one customer's whole billing state.", no_args_is_help=True
)

DATABASE_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy database URL (overrides PURSER_DATABASE_URL and the config file)."
)


def exit_with(lines: list[str], code: int = 2) -> None:
    """Print each line as an error on stderr and exit with `code`."""
    for line in lines:
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_cli_settings(config: str | None, database_url: str | None) -> Settings:
    """The configuration, with `--database-url` applied; exits 2 naming the bad key."""
    try:
        return load_settings(config, **({"database_url": database_url} if database_url else {}))
    except ConfigError as exc:
        exit_with([str(exc)])
        raise  # unreachable


def open_database(settings: Settings) -> Database:
    """The configured database, migrated to the newest schema; exits 2 when it cannot be opened."""
    try:
        db = Database(settings.database_url)
        db.migrate()
    except Exception as exc:  # SQLAlchemy/Alembic errors: name the URL, not a traceback
        exit_with([f"cannot open the database {settings.database_url!r}: {exc}"])
        raise  # unreachable
    return db


@contextmanager
def open_processor(settings: Settings) -> Iterator[BillingProcessor]:
    """The processor the settings select (`purser.app` builds it), closed afterwards."""
    db = open_database(settings)
    try:
        try:
            from purser.app import build_processor

            processor = build_processor(settings, db)
        except (ImportError, AttributeError) as exc:
            exit_with([f"processor {settings.processor!r} is not available: {exc}"])
            raise  # unreachable
        except (ProcessorError, RuntimeError, ValueError) as exc:
            exit_with([f"processor {settings.processor!r} is not available: {exc}"])
            raise  # unreachable
        yield processor
    finally:
        db.dispose()


# -- JSON ---------------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _amount(value: Money | None) -> str | None:
    return value.amount_str() if value is not None else None


def _address(a: Address) -> dict[str, Any]:
    return {"line1": a.line1, "city": a.city, "postal_code": a.postal_code, "country": a.country}


def _plan(plan: Plan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "id": plan.id,
        "name": plan.name,
        "amount": plan.amount.amount_str(),
        "currency": plan.amount.currency,
        "interval": str(plan.interval),
        "per_seat": plan.per_seat,
    }


def snapshot_json(s: AccountSnapshot) -> dict[str, Any]:
    """A customer's whole state as JSON: amounts as decimal strings with their currency, times ISO UTC."""
    c, sub = s.customer, s.subscription
    return {
        "now": _iso(s.now),
        "customer": {"id": c.id, "name": c.name, "email": c.email, "created": _iso(c.created)},
        "billing": {"name": c.name, "email": c.email, "address": _address(c.address), "vat_id": c.vat_id},
        "balance": {"amount": _amount(c.balance), "currency": c.balance.currency} if c.balance else None,
        "subscription": None
        if sub is None
        else {
            "id": sub.id,
            "plan": _plan(s.plan),
            "quantity": sub.quantity,
            "status": str(sub.status),
            "created": _iso(sub.created),
            "current_period_start": _iso(sub.current_period_start),
            "current_period_end": _iso(sub.current_period_end),
            "cancel_at_period_end": sub.cancel_at_period_end,
            "canceled_at": _iso(sub.canceled_at),
            "ended_at": _iso(sub.ended_at),
            "trial_end": _iso(sub.trial_end),
            "pause_starts_at": _iso(sub.pause_starts_at),
            "resumes_at": _iso(sub.resumes_at),
            "scheduled_plan": sub.scheduled_plan_id,
            "scheduled_quantity": sub.scheduled_quantity,
        },
        "next_invoice": None
        if s.next_invoice_date is None or s.next_invoice_amount is None
        else {
            "date": _iso(s.next_invoice_date),
            "amount": _amount(s.next_invoice_amount),
            "currency": s.next_invoice_amount.currency,
        },
        "past_due": None
        if s.past_due is None or s.past_due.is_zero
        else {"amount": _amount(s.past_due), "currency": s.past_due.currency},
        "payment_methods": [
            {
                "id": pm.id,
                "brand": pm.brand,
                "last4": pm.last4,
                "exp": f"{pm.exp_year:04d}-{pm.exp_month:02d}",
                "expired": pm.expired_at(s.now),
                "default": pm.is_default,
                "behavior": str(pm.behavior),
            }
            for pm in s.payment_methods
        ],
        "invoices": [
            {
                "id": i.id,
                "number": i.number,
                "status": str(i.status),
                "created": _iso(i.created),
                "subtotal": _amount(i.subtotal),
                "tax": _amount(i.tax),
                "total": _amount(i.total),
                "amount_paid": _amount(i.amount_paid),
                "currency": i.total.currency,
                "attempts": i.attempts,
                "next_payment_attempt": _iso(i.next_payment_attempt),
                "tax_note": i.tax_note,
                "subscription": i.subscription_id,
                "lines": [
                    {
                        "description": line.description,
                        "amount": _amount(line.amount),
                        "quantity": line.quantity,
                        "period_start": _iso(line.period_start),
                        "period_end": _iso(line.period_end),
                        "proration": line.proration,
                        "plan": line.plan_id,
                    }
                    for line in i.lines
                ],
            }
            for i in s.invoices
        ],
        "charges": [
            {
                "id": ch.id,
                "amount": _amount(ch.amount),
                "currency": ch.amount.currency,
                "created": _iso(ch.created),
                "status": str(ch.status),
                "invoice": ch.invoice_id,
                "payment_method": ch.payment_method_id,
                "refunded": _amount(ch.amount_refunded or Money.zero(ch.amount.currency)),
                "refundable": _amount(ch.refundable),
                "disputed": ch.disputed,
                "failure_code": ch.failure_code,
            }
            for ch in s.charges
        ],
        "refunds": [
            {
                "id": r.id,
                "charge": r.charge_id,
                "amount": _amount(r.amount),
                "currency": r.amount.currency,
                "created": _iso(r.created),
                "reason": r.reason,
            }
            for r in s.refunds
        ],
        "disputes": [
            {
                "id": d.id,
                "charge": d.charge_id,
                "amount": _amount(d.amount),
                "currency": d.amount.currency,
                "status": d.status,
                "reason": d.reason,
                "created": _iso(d.created),
            }
            for d in s.disputes
        ],
        "emails": [
            {
                "id": e.id,
                "to": e.to,
                "kind": e.kind,
                "subject": e.subject,
                "sent_at": _iso(e.sent_at),
                "invoice": e.invoice_id,
                "attachment": e.attachment_name,
            }
            for e in s.emails
        ],
    }


# -- commands -------------------------------------------------------------------------------------


@app.command("list")
def list_customers(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="At most this many customers."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """List customers with their plan and subscription status."""
    settings = load_cli_settings(config, database_url)
    with open_processor(settings) as processor:
        rows = []
        for customer in processor.list_customers(limit=limit):
            snap = processor.snapshot(customer.id)
            sub = snap.subscription
            rows.append(
                {
                    "id": customer.id,
                    "name": customer.name,
                    "email": customer.email,
                    "country": customer.address.country,
                    "plan": sub.plan_id if sub else None,
                    "quantity": sub.quantity if sub else None,
                    "status": str(sub.status) if sub else None,
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Customers ({settings.processor})")
    for column in ("id", "name", "email", "country", "plan", "seats", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(escape(str(row[k] if row[k] is not None else "-")) for k in ("id", "name", "email", "country", "plan")),
            str(row["quantity"] or "-"),
            escape(str(row["status"] or "-")),
        )
    console.print(table)


@app.command("show")
def show(
    customer_id: str = typer.Argument(..., help="The customer's id, e.g. cus_ana."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole state as JSON."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Show one customer's whole billing state: subscription, invoices, charges, refunds, billing details, emails."""
    settings = load_cli_settings(config, database_url)
    with open_processor(settings) as processor:
        try:
            snap = processor.snapshot(CustomerId(customer_id))
        except NotFound:
            exit_with([f"no customer {customer_id!r} in the {settings.processor} processor"])
            raise  # unreachable
    if as_json:
        typer.echo(json.dumps(snapshot_json(snap), indent=2, ensure_ascii=False))
        return
    from purser.cli._customer_view import render_snapshot

    render_snapshot(console, snapshot_json(snap))
