"""`purser customer list|show`: the account snapshot through whichever processor is configured."""

from __future__ import annotations

import json
from typing import Any

import typer

from purser.cli._common import CONFIG_OPTION, DATABASE_OPTION, backoffice_or_exit, exit_with, out, settings_or_exit

__all__ = ["app", "list_customers", "show"]

app = typer.Typer(
    help="Inspect customers: list them, or show one customer's whole billing state.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("list")
def list_customers(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="At most this many customers."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """List customers with their plan and subscription status."""
    settings = settings_or_exit(config, database_url)
    rows: list[dict[str, Any]] = []
    with backoffice_or_exit(settings) as office:
        processor = office.processor
        for customer in processor.list_customers(limit=limit):
            sub = processor.snapshot(customer.id).subscription
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
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Customers ({settings.processor})")
    for column in ("id", "name", "email", "country", "plan", "seats", "status"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(escape(str(row[k] if row[k] is not None else "-")) for k in ("id", "name", "email", "country", "plan")),
            str(row["quantity"] or "-"),
            escape(str(row["status"] or "-")),
        )
    out().print(table)


@app.command("show")
def show(
    customer_id: str = typer.Argument(..., help="The customer's id, e.g. cus_ana."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole state as JSON."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Show one customer's whole billing state: subscription, invoices, charges, refunds, billing details, emails."""
    from purser.domain import CustomerId
    from purser.domain.serialize import snapshot_json
    from purser.processors.errors import NotFound

    settings = settings_or_exit(config, database_url)
    with backoffice_or_exit(settings) as office:
        try:
            snap = office.processor.snapshot(CustomerId(customer_id))
        except NotFound:
            exit_with([f"no customer {customer_id!r} in the {settings.processor} processor"])
    data = snapshot_json(snap, "full")
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    from purser.cli._customer_view import render_snapshot

    render_snapshot(out(), data)
