"""`purser customer list|show`: the account snapshot through whichever processor is configured."""

from __future__ import annotations

from typing import Any

import typer

from purser.cli._common import CONFIG_OPTION, DATABASE_OPTION, exit_with, out
from purser.cli._output import office_for, print_json

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
    rows: list[dict[str, Any]] = []
    with office_for(config, database_url) as (settings, office):
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
        print_json(rows)
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

    with office_for(config, database_url) as (settings, office):
        try:
            snap = office.processor.snapshot(CustomerId(customer_id))
        except NotFound:
            exit_with([f"no customer {customer_id!r} in the {settings.processor} processor"])
    data = snapshot_json(snap, "full")
    if as_json:
        print_json(data)
        return
    from purser.cli._customer_view import render_snapshot

    render_snapshot(out(), data)
