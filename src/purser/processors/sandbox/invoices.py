"""Invoices and charges: numbering, tax, customer credit, payment attempts and dunning.

An invoice is tax-exclusive: `total = subtotal + tax` with `subtotal = Σ lines`.
A customer's credit balance (negative `balance`) is applied before charging;
a negative total adds to that credit. A failed payment leaves the invoice open
with `attempts + 1` and the next automatic retry `dunning_days[attempts - 1]`
days after the invoice was created; once the schedule is exhausted the
subscription becomes `unpaid` and retries stop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from purser.domain import (
    Charge,
    ChargeStatus,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentBehavior,
    PaymentMethod,
    Plan,
    SubscriptionStatus,
)
from purser.domain.ids import ChargeId, InvoiceId, PaymentMethodId, SubscriptionId
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox import queries, rows
from purser.processors.sandbox.clock import to_db, utc
from purser.processors.sandbox.events import emit, new_id
from purser.processors.sandbox.integrations import tax_for
from purser.store import sandbox_tables as t

DEFAULT_DUNNING_DAYS: tuple[int, ...] = (3, 5, 7)
"""Automatic retries: days after the invoice's creation (Stripe's smart retries, simplified)."""

_FAILURE = {
    PaymentBehavior.DECLINES: "card_declined",
    PaymentBehavior.INSUFFICIENT_FUNDS: "insufficient_funds",
    PaymentBehavior.EXPIRED: "expired_card",
}
_NUMBER_RE = re.compile(r"^(.*?)(\d+)$")


def default_prefix(customer_id: str) -> str:
    """Invoice-number prefix of a new customer: its id without `cus_`, upper-case letters and digits."""
    core = customer_id.removeprefix("cus_")
    cleaned = "".join(ch for ch in core.upper() if ch.isalnum())[:12]
    return cleaned or "PUR"


def split_number(number: str) -> tuple[str, int] | None:
    """("LI", 6) for "LI-0006"; None when the number does not end in digits."""
    match = _NUMBER_RE.match(number)
    if not match or not match.group(1):
        return None
    return match.group(1).rstrip("-"), int(match.group(2))


def next_number(conn: Connection, customer_id: str, row: Any = None) -> str:
    """Take the customer's next invoice number ("LI-0007"); `row` is the locked customer row if read already."""
    if row is None:
        row = queries.row(conn, t.customers, customer_id, lock=True)
    number = int(row.next_invoice_number)
    queries.set_values(conn, t.customers, customer_id, next_invoice_number=number + 1)
    return f"{row.invoice_prefix}-{number:04d}"


def signed_tax(customer: Customer, subtotal: Money) -> tuple[Money, str | None]:
    """Tax on `subtotal` (a credit's tax is the negative of the tax on its absolute value)."""
    if subtotal.is_zero:
        return Money.zero(subtotal.currency), None
    tax, note = tax_for(customer.address.country, customer.vat_id, abs(subtotal))
    return (-tax if subtotal.is_negative else tax), note


@dataclass(frozen=True, slots=True)
class Figures:
    """The money of a new invoice: subtotal, tax, total, the customer credit applied, what is due."""

    subtotal: Money
    tax: Money
    note: str | None
    total: Money
    balance: int
    """The customer's balance before (minor units; 0 without one)."""
    new_balance: int
    """The customer's balance after."""
    applied: int
    """Customer credit applied (counts towards `amount_paid`)."""
    due: int
    """Still to charge."""

    @property
    def status(self) -> InvoiceStatus:
        """Paid at once when nothing is due, else open."""
        return InvoiceStatus.PAID if self.due == 0 else InvoiceStatus.OPEN


def invoice_figures(customer: Customer, subtotal: Money, currency: str) -> Figures:
    """Tax and customer credit of an invoice of `subtotal` to `customer` (tax-exclusive; a negative total
    adds to the credit)."""
    tax, note = signed_tax(customer, subtotal)
    total = subtotal + tax
    balance = customer.balance.minor if customer.balance else 0
    same_currency = customer.balance is None or customer.balance.currency == currency
    applied = 0
    new_balance = balance
    if same_currency:
        if total.minor > 0 and balance < 0:
            applied = min(total.minor, -balance)
            new_balance = balance + applied
        elif total.minor < 0:
            new_balance = balance + total.minor
    return Figures(subtotal, tax, note, total, balance, new_balance, applied, max(total.minor - applied, 0))


def line_label(plan: Plan, quantity: int) -> str:
    """ "Pro" for one, "3 × Team" for several."""
    return plan.name if quantity == 1 else f"{quantity} × {plan.name}"


def line_row(id_: int | None, invoice_id: str, position: int, line: InvoiceLine, currency: str) -> tuple[Any, ...]:
    """An `sbx_invoice_lines` row (column order) for `line`."""
    return (
        id_,
        invoice_id,
        position,
        line.description,
        line.amount.minor,
        currency,
        line.quantity,
        to_db(line.period_start),
        to_db(line.period_end),
        line.proration,
        line.plan_id,
    )


_LINE_KEYS = tuple(c.name for c in t.invoice_lines.c)[1:]
_INSERT_INVOICE = insert(t.invoices)
_INSERT_LINES = insert(t.invoice_lines)
_INSERT_CHARGE = insert(t.charges)


def create_invoice(
    conn: Connection,
    *,
    customer_id: str,
    subscription_id: str | None,
    lines: Sequence[InvoiceLine],
    at: datetime,
    billing_reason: str,
) -> tuple[str, int]:
    """Finalise an invoice for `lines`; returns (invoice id, amount still due in minor units).

    Applies the customer's credit balance; a zero amount due marks the invoice paid at once.
    """
    if not lines:
        raise InvalidRequest("an invoice needs at least one line")
    currency = lines[0].amount.currency
    customer_row = queries.row(conn, t.customers, customer_id, lock=True)
    customer = rows.customer(customer_row)
    f = invoice_figures(customer, Money(sum(line.amount.minor for line in lines), currency), currency)
    invoice_id = new_id("in")
    number = next_number(conn, customer_id, customer_row)
    status = f.status
    conn.execute(
        _INSERT_INVOICE,
        {
            "id": invoice_id,
            "customer_id": customer_id,
            "subscription_id": subscription_id,
            "number": number,
            "status": status.value,
            "billing_reason": billing_reason,
            "created": to_db(at),
            "currency": currency,
            "subtotal": f.subtotal.minor,
            "tax": f.tax.minor,
            "total": f.total.minor,
            "credit_applied": f.applied,
            "amount_paid": f.applied,
            "attempts": 0,
            "next_payment_attempt": None,
            "tax_note": f.note,
        },
    )
    conn.execute(
        _INSERT_LINES,
        [
            dict(zip(_LINE_KEYS, line_row(None, invoice_id, i, line, currency)[1:], strict=True))
            for i, line in enumerate(lines)
        ],
    )
    if f.new_balance != f.balance or customer.balance is None:
        keep = customer.balance.currency if customer.balance else currency
        queries.set_values(conn, t.customers, customer_id, balance=f.new_balance, currency=keep)
        if f.new_balance != f.balance:
            updated = replace(customer, balance=Money(f.new_balance, currency))
            emit(conn, "customer.updated", updated, at, customer_id=customer_id, previous={"balance": f.balance})
    invoice = Invoice(
        id=InvoiceId(invoice_id),
        customer_id=customer.id,
        number=number,
        status=status,
        created=at,
        subtotal=f.subtotal,
        tax=f.tax,
        total=f.total,
        lines=tuple(replace(line, amount=Money(line.amount.minor, currency)) for line in lines),
        subscription_id=SubscriptionId(subscription_id) if subscription_id else None,
        amount_paid=Money(f.applied, currency),
        tax_note=f.note,
    )
    emit(conn, "invoice.created", invoice, at, customer_id=customer_id)
    emit(conn, "invoice.finalized", invoice, at, customer_id=customer_id)
    if status is InvoiceStatus.PAID:
        emit(conn, "invoice.paid", invoice, at, customer_id=customer_id)
    return invoice_id, f.due


def due_of_values(total: int, amount_paid: int) -> int:
    """What an invoice still needs, in minor units."""
    return max(int(total) - int(amount_paid), 0)


def failure_of(pm: PaymentMethod | None, at: datetime) -> str | None:
    """Why a charge on `pm` at `at` fails (None: it succeeds)."""
    if pm is None:
        return "no_payment_method"
    if pm.behavior in _FAILURE:
        return _FAILURE[pm.behavior]
    if pm.expired_at(at):
        return "expired_card"
    return None


def next_retry(created: datetime | None, at: datetime, attempts: int, dunning_days: Sequence[int]) -> datetime | None:
    """The next automatic retry after failed attempt number `attempts` (None once the schedule is spent)."""
    if attempts > len(dunning_days) or created is None:
        return None
    retry = created + timedelta(days=dunning_days[attempts - 1])
    return at + timedelta(days=1) if retry <= at else retry


def due_of(inv: Any) -> int:
    """What an invoice row still needs, in minor units."""
    return due_of_values(inv.total, inv.amount_paid)


def amount_due(conn: Connection, invoice_id: str) -> int:
    """What an open invoice still needs, in minor units."""
    return due_of(queries.row(conn, t.invoices, invoice_id))


def attempt_payment(
    conn: Connection,
    invoice_id: str,
    at: datetime,
    *,
    dunning_days: Sequence[int],
    known_status: str | None = None,
) -> tuple[Charge | None, str | None]:
    """Charge an open invoice on the default card; returns (charge or None, failure code or None).

    `known_status` is the subscription's status when the caller knows it (skips a lookup)."""
    inv = queries.row(conn, t.invoices, invoice_id, lock=True)
    if inv.status != InvoiceStatus.OPEN.value:
        raise InvalidRequest(f"invoice {invoice_id} is {inv.status}, not open", code="invoice_not_open")
    due = due_of(inv)
    pm = queries.default_payment_method(conn, inv.customer_id)
    failure = failure_of(pm, at)
    charge: Charge | None = None
    if pm is not None:
        charge = Charge(
            id=ChargeId(new_id("ch")),
            customer_id=inv.customer_id,
            amount=Money(due, inv.currency),
            created=at,
            status=ChargeStatus.FAILED if failure else ChargeStatus.SUCCEEDED,
            invoice_id=InvoiceId(invoice_id),
            payment_method_id=PaymentMethodId(pm.id),
            amount_refunded=Money.zero(inv.currency),
            failure_code=failure,
        )
        insert_charge(conn, charge)
        emit(conn, f"charge.{charge.status.value}", charge, at, customer_id=inv.customer_id)
    lines = queries.lines_of(conn, invoice_id)
    if failure is None:
        values = {"status": "paid", "amount_paid": int(inv.amount_paid) + due, "next_payment_attempt": None}
        queries.set_values(conn, t.invoices, invoice_id, **values)
        paid = rows.invoice(_with(inv, values), lines)
        emit(conn, "invoice.paid", paid, at, customer_id=inv.customer_id)
        emit(conn, "invoice.payment_succeeded", paid, at, customer_id=inv.customer_id)
        if inv.subscription_id and known_status in (None, "past_due", "unpaid"):
            _maybe_reactivate(conn, inv.subscription_id, at)
        return charge, None
    attempts = int(inv.attempts) + 1
    exhausted = attempts > len(dunning_days)
    retry = next_retry(utc(inv.created), at, attempts, dunning_days)
    values = {"attempts": attempts, "next_payment_attempt": to_db(retry)}
    queries.set_values(conn, t.invoices, invoice_id, **values)
    failed = rows.invoice(_with(inv, values), lines)
    emit(conn, "invoice.payment_failed", failed, at, customer_id=inv.customer_id, extra={"failure_code": failure})
    if inv.subscription_id:
        set_status_after_failure(conn, inv.subscription_id, at, exhausted=exhausted)
    return charge, failure


_INV_COLS = tuple(c.name for c in t.invoices.c)


def _with(row: Any, values: dict[str, Any]) -> tuple[Any, ...]:
    # The row as it reads after an UPDATE setting `values`.
    return tuple(values.get(name, value) for name, value in zip(_INV_COLS, row, strict=True))


def charge_row(charge: Charge) -> dict[str, Any]:
    """The `sbx_charges` row of `charge`."""
    return {
        "id": charge.id,
        "customer_id": charge.customer_id,
        "invoice_id": charge.invoice_id,
        "payment_method_id": charge.payment_method_id,
        "amount": charge.amount.minor,
        "currency": charge.amount.currency,
        "amount_refunded": charge.amount_refunded.minor if charge.amount_refunded else 0,
        "status": charge.status.value,
        "failure_code": charge.failure_code,
        "disputed": charge.disputed,
        "created": to_db(charge.created),
    }


def insert_charge(conn: Connection, charge: Charge) -> None:
    """Insert a charge row."""
    conn.execute(_INSERT_CHARGE, charge_row(charge))


def _set_status(conn: Connection, subscription_id: str, status: SubscriptionStatus, at: datetime) -> None:
    before = queries.subscription(conn, subscription_id)
    if before.status is status:
        return
    queries.set_values(conn, t.subscriptions, subscription_id, status=status.value)
    after = queries.subscription(conn, subscription_id)
    emit(
        conn,
        "customer.subscription.updated",
        after,
        at,
        customer_id=after.customer_id,
        previous={"status": before.status.value},
    )


def set_status_after_failure(conn: Connection, subscription_id: str, at: datetime, *, exhausted: bool) -> None:
    """past_due after a failed payment; unpaid once the retries are exhausted."""
    sub = queries.subscription(conn, subscription_id, lock=True)
    if sub.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.PAUSED, SubscriptionStatus.TRIALING):
        return
    target = SubscriptionStatus.UNPAID if exhausted else SubscriptionStatus.PAST_DUE
    if sub.status is SubscriptionStatus.UNPAID:
        return
    _set_status(conn, subscription_id, target, at)


_OPEN_OF_SUB = (
    select(func.count())
    .select_from(t.invoices)
    .where(t.invoices.c.subscription_id == bindparam("id"), t.invoices.c.status == "open")
)


def _maybe_reactivate(conn: Connection, subscription_id: str, at: datetime) -> None:
    sub = queries.subscription(conn, subscription_id, lock=True)
    if sub.status not in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
        return
    still_open = conn.execute(_OPEN_OF_SUB, {"id": subscription_id}).scalar_one()
    if still_open == 0:
        _set_status(conn, subscription_id, SubscriptionStatus.ACTIVE, at)


def open_total(conn: Connection, customer_id: str) -> tuple[int, str | None, list[str]]:
    """Sum still due on a customer's open invoices, their currency and ids (oldest first)."""
    found = conn.execute(
        select(t.invoices)
        .where(t.invoices.c.customer_id == customer_id, t.invoices.c.status == "open")
        .order_by(t.invoices.c.created)
    ).all()
    total = sum(due_of(r) for r in found)
    return total, (found[0].currency if found else None), [r.id for r in found]


__all__ = [
    "DEFAULT_DUNNING_DAYS",
    "amount_due",
    "attempt_payment",
    "create_invoice",
    "default_prefix",
    "insert_charge",
    "next_number",
    "open_total",
    "rows",
    "set_status_after_failure",
    "signed_tax",
    "split_number",
]
