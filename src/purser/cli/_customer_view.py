"""Rich rendering of `purser customer show` (the `full` JSON of `purser.domain.serialize.snapshot_json`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["render_snapshot"]


def _s(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def _d(value: Any) -> str:
    """A date for table cells (times are in the JSON)."""
    return "-" if not value else escape(str(value)[:10])


def _money(amount: Any, currency: Any) -> str:
    return "-" if amount is None else f"{escape(str(amount))} {str(currency).upper()}"


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for index, column in enumerate(columns):
        free_text = column in ("subject", "to", "reason")
        # Ids are what an operator copies: never cut them.
        is_id = column in ("id", "number", "charge", "invoice")
        width = max((len(row[index]) for row in rows), default=0) if is_id else None
        table.add_column(column, no_wrap=not free_text, overflow="fold" if free_text else "ellipsis", min_width=width)
    for row in rows:
        table.add_row(*row)
    return table


def render_snapshot(console: Console, data: dict[str, Any]) -> None:
    """Print a customer's state: details, subscription, cards, invoices, charges, refunds, disputes, emails."""
    billing = data["billing"]
    addr = billing["address"]
    details = Table.grid(padding=(0, 2))
    details.add_column(style="bold")
    details.add_column()
    address = ", ".join(str(v) for v in (addr["line1"], addr["postal_code"], addr["city"], addr["country"]) if v)
    for label, value in (
        ("Customer", f"{data['customer']['id']} — {billing['name']}"),
        ("Email", billing["email"]),
        ("Address", address),
        ("VAT id", billing["vat_id"]),
        ("Clock", data["now"]),
    ):
        details.add_row(label, _s(value))
    sub = data["subscription"]
    if sub is not None:
        plan = sub["plan"] or {}
        price = _money(plan.get("amount"), plan.get("currency"))
        per = f"/{plan.get('interval', '?')}" + (" per seat" if plan.get("per_seat") else "")
        details.add_row("Subscription", f"{_s(sub['id'])}: {_s(plan.get('name'))} ({_s(plan.get('id'))}) {price}{per}")
        details.add_row("Status", f"{_s(sub['status'])}, {sub['quantity']} seat(s)")
        details.add_row("Period", f"{_s(sub['current_period_start'])} → {_s(sub['current_period_end'])}")
        for key in ("cancel_at_period_end", "trial_end", "resumes_at", "scheduled_plan", "scheduled_quantity"):
            if sub[key]:
                details.add_row(key.replace("_", " ").capitalize(), _s(sub[key]))
    else:
        details.add_row("Subscription", "none")
    if data["next_invoice"]:
        nxt = data["next_invoice"]
        details.add_row("Next invoice", f"{_s(nxt['date'])}: {_money(nxt['amount'], nxt['currency'])}")
    if data["past_due"]:
        details.add_row("Past due", _money(data["past_due"]["amount"], data["past_due"]["currency"]))
    console.print(details)

    console.print(
        _table(
            "Payment methods",
            ["id", "card", "exp", "default", "behavior"],
            [
                [
                    _s(p["id"]),
                    f"{_s(p['brand'])} •••• {_s(p['last4'])}",
                    _s(p["exp"]) + (" (expired)" if p["expired"] else ""),
                    _s(p["default"]),
                    _s(p["behavior"]),
                ]
                for p in data["payment_methods"]
            ],
        )
    )
    console.print(
        _table(
            "Invoices",
            ["id", "number", "created", "status", "tax", "total", "attempts"],
            [
                [
                    _s(i["id"]),
                    _s(i["number"]),
                    _d(i["created"]),
                    _s(i["status"]),
                    _money(i["tax"], i["currency"]),
                    _money(i["total"], i["currency"]),
                    str(i["attempts"]),
                ]
                for i in data["invoices"]
            ],
        )
    )
    console.print(
        _table(
            "Charges",
            ["id", "created", "amount", "status", "invoice", "refunded", "disputed"],
            [
                [
                    _s(c["id"]),
                    _d(c["created"]),
                    _money(c["amount"], c["currency"]),
                    _s(c["status"]),
                    _s(c["invoice"]),
                    _money(c["refunded"], c["currency"]),
                    _s(c["disputed"]),
                ]
                for c in data["charges"]
            ],
        )
    )
    if data["refunds"]:
        console.print(
            _table(
                "Refunds",
                ["id", "charge", "amount", "created", "reason"],
                [
                    [
                        _s(r["id"]),
                        _s(r["charge"]),
                        _money(r["amount"], r["currency"]),
                        _d(r["created"]),
                        _s(r["reason"]),
                    ]
                    for r in data["refunds"]
                ],
            )
        )
    if data["disputes"]:
        console.print(
            _table(
                "Disputes",
                ["id", "charge", "amount", "status", "reason"],
                [
                    [_s(d["id"]), _s(d["charge"]), _money(d["amount"], d["currency"]), _s(d["status"]), _s(d["reason"])]
                    for d in data["disputes"]
                ],
            )
        )
    console.print(
        _table(
            "Emails sent",
            ["sent", "kind", "to", "subject", "invoice"],
            [
                [_d(e["sent_at"]), _s(e["kind"]), _s(e["to"]), _s(e["subject"]), _s(e["invoice"])]
                for e in data["emails"]
            ],
        )
    )
