"""Sandbox writes for dunning: a new default card with a test behaviour (the `/pay` page) and marking
an invoice uncollectible (a dunning cadence's `final: uncollectible`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from purser.domain import InvoiceStatus, PaymentBehavior, PaymentMethod
from purser.domain.ids import CustomerId, PaymentMethodId
from purser.processors.errors import Conflict
from purser.processors.sandbox import queries
from purser.processors.sandbox.clock import to_db, utc
from purser.processors.sandbox.events import emit, new_id
from purser.store import sandbox_tables as t

__all__ = ["TEST_CARD_LAST4", "attach_test_card", "mark_uncollectible", "next_billing_at"]

TEST_CARD_LAST4 = {
    PaymentBehavior.SUCCEEDS: "4242",
    PaymentBehavior.DECLINES: "0002",
    PaymentBehavior.INSUFFICIENT_FUNDS: "9995",
    PaymentBehavior.EXPIRED: "0069",
}
"""The last four digits of Stripe's test card for each behaviour."""


def attach_test_card(conn: Connection, customer_id: str, behavior: PaymentBehavior, now: datetime) -> PaymentMethod:
    """Attach a new Visa with `behavior` and make it the customer's default; emits `payment_method.attached`."""
    queries.row(conn, t.customers, customer_id, lock=True)  # NotFound for a stranger; customer first (lock order)
    # An `expired` card is one whose expiry has passed; the others are good for three years.
    exp_year, exp_month = (
        (now.year - 1, now.month) if behavior is PaymentBehavior.EXPIRED else (now.year + 3, now.month)
    )
    pm = PaymentMethod(
        id=PaymentMethodId(new_id("pm")),
        customer_id=CustomerId(customer_id),
        brand="visa",
        last4=TEST_CARD_LAST4[behavior],
        exp_year=exp_year,
        exp_month=exp_month,
        is_default=True,
        behavior=behavior,
    )
    conn.execute(
        update(t.payment_methods).where(t.payment_methods.c.customer_id == customer_id).values(is_default=False)
    )
    conn.execute(
        insert(t.payment_methods).values(
            id=pm.id,
            customer_id=customer_id,
            brand=pm.brand,
            last4=pm.last4,
            exp_year=pm.exp_year,
            exp_month=pm.exp_month,
            behavior=behavior.value,
            is_default=True,
        )
    )
    card = {"brand": pm.brand, "last4": pm.last4, "exp_month": pm.exp_month, "exp_year": pm.exp_year}
    shaped = {"id": pm.id, "object": "payment_method", "type": "card", "customer": customer_id, "card": card}
    emit(conn, "payment_method.attached", shaped, now, customer_id=customer_id)
    return pm


def mark_uncollectible(conn: Connection, invoice_id: str, now: datetime) -> None:
    """An open invoice becomes uncollectible (Stripe's `invoice.marked_uncollectible`); retries stop."""
    queries.lock_owner(conn, t.invoices, invoice_id)  # customer first (queries.py: lock order)
    inv = queries.invoice(conn, invoice_id, lock=True)
    if inv.status is not InvoiceStatus.OPEN:
        raise Conflict(f"invoice {invoice_id} is {inv.status.value}, not open", code="invoice_not_open")
    conn.execute(
        update(t.invoices)
        .where(t.invoices.c.id == invoice_id)
        .values(status=InvoiceStatus.UNCOLLECTIBLE.value, next_payment_attempt=None)
    )
    after = queries.invoice(conn, invoice_id)
    emit(conn, "invoice.marked_uncollectible", after, now, customer_id=after.customer_id)


def next_billing_at(conn: Connection, after: datetime) -> datetime | None:
    """The earliest renewal, trial end, resume, period-end cancellation or automatic retry after `after`
    (what `advance_clock` would run next; `purser sandbox advance` stops there so dunning keeps pace)."""
    s, inv = t.subscriptions.c, t.invoices.c
    billing = ["active", "past_due", "unpaid"]
    candidates = (
        select(func.min(s.current_period_end)).where(s.status.in_(billing), s.current_period_end > to_db(after)),
        select(func.min(func.coalesce(s.trial_end, s.current_period_end))).where(
            s.status == "trialing", func.coalesce(s.trial_end, s.current_period_end) > to_db(after)
        ),
        select(func.min(s.resumes_at)).where(s.status == "paused", s.resumes_at > to_db(after)),
        select(func.min(s.current_period_end)).where(
            s.status == "paused", s.cancel_at_period_end.is_(True), s.current_period_end > to_db(after)
        ),
        select(func.min(inv.next_payment_attempt)).where(inv.status == "open", inv.next_payment_attempt > to_db(after)),
    )
    found = [value for query in candidates if (value := conn.execute(query).scalar()) is not None]
    return min(utc(v) for v in found) if found else None
