"""The account snapshot: a customer's whole billing state in one read, plus the upcoming invoice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, select

from purser.domain import AccountSnapshot, Customer, InvoiceStatus, Plan, Subscription, SubscriptionStatus
from purser.money import Money
from purser.processors.sandbox import invoices, queries, rows
from purser.store import sandbox_tables as t

S = SubscriptionStatus


def next_invoice(
    conn: Connection,
    sub: Subscription | None,
    customer: Customer | None = None,
    plans: Mapping[str, Plan] | None = None,
) -> tuple[datetime | None, Money | None]:
    """Date and amount due of the next renewal invoice, scheduled changes and customer credit included."""
    if sub is None or sub.status is S.CANCELED or sub.cancel_at_period_end:
        return None, None
    if sub.status is S.TRIALING:
        when = sub.trial_end or sub.current_period_end
    elif sub.status is S.PAUSED:
        when = sub.current_period_end
        if sub.resumes_at is not None and sub.resumes_at >= sub.current_period_end:
            when = sub.resumes_at
    else:
        when = sub.current_period_end
    plan_id = sub.scheduled_plan_id or sub.plan_id
    plan = plans[plan_id] if plans and plan_id in plans else queries.plan(conn, plan_id)
    quantity = sub.scheduled_quantity or sub.quantity
    cust = customer or queries.customer(conn, sub.customer_id)
    subtotal = plan.price_for(quantity)
    tax, _ = invoices.signed_tax(cust, subtotal)
    amount = subtotal + tax
    if cust.balance is not None and cust.balance.currency == amount.currency and cust.balance.minor < 0:
        amount = Money(max(amount.minor + cust.balance.minor, 0), amount.currency)
    return when, amount


# Built once: a statement object reused across calls keeps SQLAlchemy's compiled-cache key memoized,
# which is most of a small query's cost on an in-memory database.
_CHARGES = (
    select(t.charges)
    .where(t.charges.c.customer_id == queries.CUSTOMER_ID)
    .order_by(t.charges.c.created.desc(), t.charges.c.id.desc())
)
_REFUNDS = (
    select(t.refunds)
    .where(t.refunds.c.customer_id == queries.CUSTOMER_ID)
    .order_by(t.refunds.c.created.desc(), t.refunds.c.id.desc())
)
_DISPUTES = (
    select(t.disputes)
    .join(t.charges, t.charges.c.id == t.disputes.c.charge_id)
    .where(t.charges.c.customer_id == queries.CUSTOMER_ID)
    .order_by(t.disputes.c.created.desc())
)
_EMAILS = (
    select(t.emails)
    .where(t.emails.c.customer_id == queries.CUSTOMER_ID)
    .order_by(t.emails.c.sent_at.desc(), t.emails.c.id.desc())
)


def build(conn: Connection, customer_id: str, now: datetime) -> AccountSnapshot:
    """Everything about one customer (raises `NotFound`)."""
    cust = queries.customer(conn, customer_id)
    sub = queries.subscription_of(conn, customer_id)
    catalogue = queries.plans(conn)
    by_id: dict[str, Plan] = {p.id: p for p in catalogue}
    plan = by_id.get(sub.plan_id) if sub else None
    scheduled = by_id.get(sub.scheduled_plan_id) if sub and sub.scheduled_plan_id else None
    by_customer = {"customer_id": customer_id}
    charges = [rows.charge(r) for r in conn.execute(_CHARGES, by_customer)]
    refunds = [rows.refund(r) for r in conn.execute(_REFUNDS, by_customer)]
    disputes = [rows.dispute(r) for r in conn.execute(_DISPUTES, by_customer)]
    emails = [rows.email(r) for r in conn.execute(_EMAILS, by_customer)]
    all_invoices = queries.invoices_of(conn, customer_id)
    open_invoices = [i for i in all_invoices if i.status is InvoiceStatus.OPEN]
    due = sum(i.total.minor - (i.amount_paid.minor if i.amount_paid else 0) for i in open_invoices)
    currency = open_invoices[0].total.currency if open_invoices else None
    when, amount = next_invoice(conn, sub, cust, by_id)
    return AccountSnapshot(
        customer=cust,
        now=now,
        payment_methods=tuple(queries.payment_methods_of(conn, customer_id)),
        subscription=sub,
        plan=plan,
        scheduled_plan=scheduled,
        plans=tuple(catalogue),
        invoices=tuple(all_invoices),
        charges=tuple(charges),
        refunds=tuple(refunds),
        disputes=tuple(disputes),
        emails=tuple(emails),
        next_invoice_date=when,
        next_invoice_amount=amount,
        past_due=Money(due, currency) if currency else None,
    )
