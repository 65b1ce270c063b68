"""The import API the world loader uses: domain entities in, one transaction, all or nothing.

    with processor.bulk_import() as imp:
        imp.create_plan(plan)
        imp.create_customer(customer)
        imp.add_payment_method(pm)
        imp.import_subscription(sub)
        imp.import_invoice(invoice)       # lines optional; paid invoices should get a charge
        imp.import_charge(charge)
        imp.import_refund(refund)         # adds to the charge's amount_refunded
        imp.import_dispute(dispute)       # marks the charge disputed
        imp.set_clock(now)

Any error (`InvalidRequest` naming the object and field, `NotFound` for a missing
reference) rolls the whole import back. Imports emit no events: the event stream
starts with the first write after the world was loaded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table, insert, select, update

from purser.domain import (
    Charge,
    Customer,
    Dispute,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    Plan,
    Refund,
    Subscription,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox import invoices, queries, refunds
from purser.processors.sandbox.clock import anchor_for, next_boundary_after, to_db, utc
from purser.store import sandbox_tables as t


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidRequest(f"{what} must be timezone-aware (UTC), got {value.isoformat()}")
    return utc(value)


class BulkImporter:
    """Writes a world into the sandbox tables inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _new(self, table: Table, id_: str, what: str) -> None:
        if not isinstance(id_, str) or not id_:
            raise InvalidRequest(f"{what} id must be a non-empty string, got {id_!r}")
        if self.conn.execute(select(table.c.id).where(table.c.id == id_)).first() is not None:
            raise InvalidRequest(f"duplicate {what} id {id_!r}")

    def set_clock(self, now: datetime) -> None:
        """Set the sandbox clock (no billing runs)."""
        from purser.processors.sandbox.engine import write_clock

        write_clock(self.conn, _aware(now, "clock") or now)

    def create_plan(self, plan: Plan) -> None:
        """Add a plan to the catalogue."""
        self._new(t.plans, plan.id, "plan")
        if plan.amount.minor < 0:
            raise InvalidRequest(f"plan {plan.id}: amount must not be negative")
        self.conn.execute(
            insert(t.plans).values(
                id=plan.id,
                name=plan.name,
                amount=plan.amount.minor,
                currency=plan.amount.currency,
                interval=plan.interval.value,
                per_seat=plan.per_seat,
            )
        )

    def create_customer(self, customer: Customer, *, invoice_prefix: str | None = None) -> None:
        """Add a customer (the invoice-number prefix follows its imported invoices, else its id)."""
        self._new(t.customers, customer.id, "customer")
        a = customer.address
        self.conn.execute(
            insert(t.customers).values(
                id=customer.id,
                name=customer.name,
                email=customer.email,
                line1=a.line1,
                city=a.city,
                postal_code=a.postal_code,
                country=a.country.upper() if a.country else None,
                vat_id=customer.vat_id,
                balance=customer.balance.minor if customer.balance else 0,
                currency=customer.balance.currency if customer.balance else None,
                created=to_db(_aware(customer.created, f"customer {customer.id} created")),
                invoice_prefix=invoice_prefix or invoices.default_prefix(customer.id),
                next_invoice_number=1,
            )
        )

    def add_payment_method(self, pm: PaymentMethod) -> None:
        """Add a card; a default card makes the customer's other cards non-default."""
        self._new(t.payment_methods, pm.id, "payment method")
        queries.customer(self.conn, pm.customer_id)
        if not (len(pm.last4) == 4 and pm.last4.isdigit()) or not 1 <= pm.exp_month <= 12:
            raise InvalidRequest(f"payment method {pm.id}: last4 must be 4 digits and exp_month 1-12")
        if pm.is_default:
            pmt = t.payment_methods
            self.conn.execute(update(pmt).where(pmt.c.customer_id == pm.customer_id).values(is_default=False))
        self.conn.execute(
            insert(t.payment_methods).values(
                id=pm.id,
                customer_id=pm.customer_id,
                brand=pm.brand,
                last4=pm.last4,
                exp_year=pm.exp_year,
                exp_month=pm.exp_month,
                behavior=pm.behavior.value,
                is_default=pm.is_default,
            )
        )

    def import_subscription(self, sub: Subscription) -> None:
        """Add a subscription; its billing anchor is derived from `created` and the current period."""
        self._new(t.subscriptions, sub.id, "subscription")
        cust = queries.customer(self.conn, sub.customer_id)
        plan = queries.plan(self.conn, sub.plan_id)
        if sub.scheduled_plan_id:
            queries.plan(self.conn, sub.scheduled_plan_id)
        if isinstance(sub.quantity, bool) or sub.quantity < 1:
            raise InvalidRequest(f"subscription {sub.id}: quantity must be ≥ 1, got {sub.quantity}")
        start = _aware(sub.current_period_start, f"subscription {sub.id} current_period_start")
        end = _aware(sub.current_period_end, f"subscription {sub.id} current_period_end")
        created = _aware(sub.created, f"subscription {sub.id} created")
        assert start is not None and end is not None and created is not None
        if end <= start:
            raise InvalidRequest(f"subscription {sub.id}: current_period_end must be after current_period_start")
        if sub.status is SubscriptionStatus.PAUSED and sub.resumes_at is None:
            raise InvalidRequest(f"subscription {sub.id}: a paused subscription needs resumes_at")
        anchor = anchor_for(created, start, plan.interval)
        if next_boundary_after(anchor, plan.interval, start) != end:
            anchor = end
        self.conn.execute(
            insert(t.subscriptions).values(
                id=sub.id,
                customer_id=sub.customer_id,
                plan_id=sub.plan_id,
                quantity=sub.quantity,
                status=sub.status.value,
                created=to_db(created),
                billing_cycle_anchor=to_db(anchor),
                current_period_start=to_db(start),
                current_period_end=to_db(end),
                cancel_at_period_end=sub.cancel_at_period_end,
                canceled_at=to_db(sub.canceled_at),
                ended_at=to_db(sub.ended_at),
                trial_end=to_db(sub.trial_end),
                pause_starts_at=to_db(sub.pause_starts_at),
                resumes_at=to_db(sub.resumes_at),
                scheduled_plan_id=sub.scheduled_plan_id,
                scheduled_quantity=sub.scheduled_quantity,
            )
        )
        if cust.balance is None:
            self.conn.execute(
                update(t.customers).where(t.customers.c.id == cust.id).values(currency=plan.amount.currency)
            )

    def import_invoice(self, invoice: Invoice) -> None:
        """Add a finalised invoice; without lines, one line carrying the subtotal is made up."""
        self._new(t.invoices, invoice.id, "invoice")
        cust = queries.customer(self.conn, invoice.customer_id)
        if invoice.subscription_id:
            queries.subscription(self.conn, invoice.subscription_id)
        cur = invoice.total.currency
        if invoice.subtotal + invoice.tax != invoice.total:
            raise InvalidRequest(f"invoice {invoice.id}: subtotal + tax must equal total")
        lines = invoice.lines or (
            InvoiceLine(description="Subscription", amount=invoice.subtotal, period_start=invoice.created),
        )
        if sum(line.amount.minor for line in lines) != invoice.subtotal.minor:
            raise InvalidRequest(f"invoice {invoice.id}: the lines must add up to the subtotal")
        paid = invoice.amount_paid
        if paid is None:
            paid = invoice.total if invoice.status is InvoiceStatus.PAID else Money.zero(cur)
        self.conn.execute(
            insert(t.invoices).values(
                id=invoice.id,
                customer_id=invoice.customer_id,
                subscription_id=invoice.subscription_id,
                number=invoice.number,
                status=invoice.status.value,
                billing_reason="subscription_cycle" if invoice.subscription_id else "manual",
                created=to_db(_aware(invoice.created, f"invoice {invoice.id} created")),
                currency=cur,
                subtotal=invoice.subtotal.minor,
                tax=invoice.tax.minor,
                total=invoice.total.minor,
                credit_applied=0,
                amount_paid=paid.minor,
                attempts=invoice.attempts,
                next_payment_attempt=to_db(invoice.next_payment_attempt),
                tax_note=invoice.tax_note,
            )
        )
        self.conn.execute(
            insert(t.invoice_lines),
            [
                {
                    "invoice_id": invoice.id,
                    "position": i,
                    "description": line.description,
                    "amount": line.amount.minor,
                    "currency": cur,
                    "quantity": line.quantity,
                    "period_start": to_db(line.period_start),
                    "period_end": to_db(line.period_end),
                    "proration": line.proration,
                    "plan_id": line.plan_id,
                }
                for i, line in enumerate(lines)
            ],
        )
        split = invoices.split_number(invoice.number)
        if split is not None:
            prefix, n = split
            row = queries.row(self.conn, t.customers, cust.id)
            values = {"invoice_prefix": prefix, "next_invoice_number": max(int(row.next_invoice_number), n + 1)}
            self.conn.execute(update(t.customers).where(t.customers.c.id == cust.id).values(**values))

    def import_charge(self, charge: Charge) -> None:
        """Add a past charge (succeeded or failed)."""
        self._new(t.charges, charge.id, "charge")
        queries.customer(self.conn, charge.customer_id)
        if charge.invoice_id:
            inv = queries.invoice(self.conn, charge.invoice_id)
            if inv.customer_id != charge.customer_id:
                raise InvalidRequest(f"charge {charge.id}: invoice {inv.id} belongs to another customer")
        if charge.payment_method_id:
            pm = queries.row(self.conn, t.payment_methods, charge.payment_method_id)
            if pm.customer_id != charge.customer_id:
                raise InvalidRequest(f"charge {charge.id}: payment method belongs to another customer")
        if charge.amount.minor <= 0:
            raise InvalidRequest(f"charge {charge.id}: amount must be positive")
        if charge.amount_refunded is not None and charge.amount_refunded > charge.amount:
            raise InvalidRequest(f"charge {charge.id}: amount_refunded exceeds the amount")
        invoices.insert_charge(self.conn, charge)

    def import_refund(self, refund: Refund) -> None:
        """Add a past refund; the charge's refunded amount becomes at least the sum of its refunds."""
        self._new(t.refunds, refund.id, "refund")
        charge = queries.charge(self.conn, refund.charge_id)
        if charge.customer_id != refund.customer_id:
            raise InvalidRequest(f"refund {refund.id}: charge {charge.id} belongs to another customer")
        if refund.amount.currency != charge.amount.currency or refund.amount.minor <= 0:
            raise InvalidRequest(f"refund {refund.id}: amount must be positive, in the charge's currency")
        refunds.insert_refund(self.conn, refund, None)
        total = sum(
            int(r[0]) for r in self.conn.execute(select(t.refunds.c.amount).where(t.refunds.c.charge_id == charge.id))
        )
        if total > charge.amount.minor:
            raise InvalidRequest(f"refund {refund.id}: refunds of charge {charge.id} exceed the charge")
        already = charge.amount_refunded.minor if charge.amount_refunded else 0
        self.conn.execute(
            update(t.charges).where(t.charges.c.id == charge.id).values(amount_refunded=max(already, total))
        )

    def import_dispute(self, dispute: Dispute) -> None:
        """Add a dispute; its charge is marked disputed."""
        self._new(t.disputes, dispute.id, "dispute")
        queries.charge(self.conn, dispute.charge_id)
        self.conn.execute(
            insert(t.disputes).values(
                id=dispute.id,
                charge_id=dispute.charge_id,
                amount=dispute.amount.minor,
                currency=dispute.amount.currency,
                status=dispute.status,
                reason=dispute.reason,
                created=to_db(_aware(dispute.created, f"dispute {dispute.id} created")),
            )
        )
        self.conn.execute(update(t.charges).where(t.charges.c.id == dispute.charge_id).values(disputed=True))
