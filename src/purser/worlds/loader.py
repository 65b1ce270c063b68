"""Load a validated `World` into the sandbox processor, in one transaction.

`load_world(processor, world, now)` turns the schema into domain entities and writes them through
the sandbox's import API (`processor.bulk_import()`), then sets the clock to `now`. Any error rolls
the whole transaction back, so a world that cannot be loaded loads nothing; with `reset=True` the
sandbox tables are emptied first, inside that same transaction.

Derived values:
- a subscription's period end follows from its plan's interval, anchored on `created` like Stripe
  (Jan 31 → Feb 28/29 → Mar 31); a trial ends with the current period;
- an invoice's subtotal is its amount less its tax; its one line bills the subscription's plan when
  the amounts match; a reverse-charge customer's untaxed invoice carries the reverse-charge note;
- a charge without `payment_method` was paid with the customer's default card; a `disputed` charge
  gets an open dispute (`needs_response`);
- an open invoice's `attempts` become that many failed charges on the default card (failure code
  from its behaviour) and its next retry follows the sandbox's dunning schedule;
- a customer was created at their earliest object (or `now`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete

from purser.domain import (
    Address,
    Charge,
    ChargeId,
    ChargeStatus,
    Customer,
    CustomerId,
    Dispute,
    DisputeId,
    Interval,
    Invoice,
    InvoiceId,
    InvoiceLine,
    InvoiceStatus,
    PaymentBehavior,
    PaymentMethod,
    PaymentMethodId,
    Plan,
    PlanId,
    Refund,
    RefundId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.sandbox.clock import add_interval, anchor_for, next_boundary_after
from purser.processors.sandbox.invoices import DEFAULT_DUNNING_DAYS
from purser.processors.sandbox.tax import DEFAULT_SELLER, tax_for
from purser.store.db import metadata
from purser.worlds.schema import World, WorldCustomer, WorldInvoice, WorldPlan, WorldSubscription

__all__ = ["load_world", "period_end", "reset_sandbox"]

SANDBOX_TABLE_PREFIX = "sbx_"
"""Every table of the sandbox engine starts with this."""


class _Importer(Protocol):
    conn: object

    def create_plan(self, plan: Plan) -> None: ...
    def create_customer(self, customer: Customer) -> None: ...
    def add_payment_method(self, pm: PaymentMethod) -> None: ...
    def import_subscription(self, sub: Subscription) -> None: ...
    def import_invoice(self, invoice: Invoice) -> None: ...
    def import_charge(self, charge: Charge) -> None: ...
    def import_refund(self, refund: Refund) -> None: ...
    def import_dispute(self, dispute: Dispute) -> None: ...
    def set_clock(self, now: datetime) -> None: ...


def period_end(created: datetime, period_start: datetime, interval: str) -> datetime:
    """End of the period starting at `period_start`, anchored on `created` like Stripe's billing cycle."""
    anchor = anchor_for(created, period_start, interval)
    return next_boundary_after(anchor, interval, period_start)


def reset_sandbox(conn: object) -> None:
    """Delete every row of the sandbox's tables (children first) on `conn` (a SQLAlchemy Connection)."""
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    for table in reversed(metadata.sorted_tables):
        if table.name.startswith(SANDBOX_TABLE_PREFIX):
            conn.execute(delete(table))


def load_world(processor: object, world: World, now: datetime, *, reset: bool = False) -> None:
    """Write `world` into `processor` (a `SandboxProcessor`) and set its clock to `now`; all or nothing.

    Raises the processor's errors (`InvalidRequest`, `NotFound`) when it refuses an object, e.g. an
    id that already exists without `reset=True`; nothing is written then.
    """
    bulk_import = getattr(processor, "bulk_import", None)
    if bulk_import is None:
        raise TypeError(f"{type(processor).__name__} has no bulk_import(): worlds load into the sandbox only")
    plans = {p.id: p for p in world.plans}
    dunning = tuple(getattr(processor, "dunning_days", DEFAULT_DUNNING_DAYS))
    taken = frozenset(ch.id for c in world.customers for ch in c.charges)
    with bulk_import() as imp:
        if reset:
            reset_sandbox(imp.conn)
        for plan in world.plans:
            imp.create_plan(to_plan(plan))
        for customer in world.customers:
            _load_customer(imp, customer, plans, now, dunning, taken)
        imp.set_clock(now)


def to_plan(plan: WorldPlan) -> Plan:
    """The domain plan of a world plan."""
    return Plan(PlanId(plan.id), plan.name, plan.amount, Interval(plan.interval), plan.per_seat)


def _created(customer: WorldCustomer, now: datetime) -> datetime:
    times: list[datetime] = [i.created for i in customer.invoices]
    times += [ch.created for ch in customer.charges] + [r.created for r in customer.refunds]
    if customer.subscription is not None:
        times.append(customer.subscription.created)
    return min(times, default=now)


def _load_customer(
    imp: _Importer,
    c: WorldCustomer,
    plans: dict[str, WorldPlan],
    now: datetime,
    dunning: tuple[int, ...],
    taken: Collection[str],
) -> None:
    cid = CustomerId(c.id)
    address = (
        Address(c.address.line1, c.address.city, c.address.postal_code, c.address.country) if c.address else Address()
    )
    imp.create_customer(Customer(cid, c.name, c.email, address, c.vat_id, _created(c, now)))
    default_pm: PaymentMethodId | None = None
    behavior_of = {pm.id: pm.behavior for pm in c.payment_methods}
    for pm in c.payment_methods:
        imp.add_payment_method(
            PaymentMethod(
                PaymentMethodId(pm.id),
                cid,
                pm.brand,
                pm.last4,
                pm.exp_year,
                pm.exp_month,
                pm.default,
                PaymentBehavior(pm.behavior),
            )
        )
        if pm.default:
            default_pm = PaymentMethodId(pm.id)
    sub = c.subscription
    plan = plans[sub.plan] if sub is not None else None
    if sub is not None and plan is not None:
        imp.import_subscription(to_subscription(cid, sub, plan, now))
    for invoice in c.invoices:
        imp.import_invoice(to_invoice(cid, c, invoice, sub, plan, now, dunning))
    for ch in c.charges:
        imp.import_charge(
            Charge(
                ChargeId(ch.id),
                cid,
                ch.amount,
                ch.created,
                ChargeStatus.SUCCEEDED,
                invoice_id=InvoiceId(ch.invoice) if ch.invoice else None,
                payment_method_id=PaymentMethodId(ch.payment_method) if ch.payment_method else default_pm,
                disputed=ch.disputed,
            )
        )
    for inv in c.invoices:
        for charge in failed_attempts(
            cid, inv, default_pm, behavior_of.get(default_pm or "", "declines"), now, dunning, taken
        ):
            imp.import_charge(charge)
    for rf in c.refunds:
        imp.import_refund(
            Refund(RefundId(rf.id), ChargeId(rf.charge), cid, rf.amount, rf.created, reason="requested_by_customer")
        )
    for ch in c.charges:
        if ch.disputed:
            opened = min(ch.created + timedelta(days=7), now)
            imp.import_dispute(
                Dispute(DisputeId(f"dp_{ch.id}"), ChargeId(ch.id), ch.amount, "needs_response", "general", opened)
            )


def to_subscription(cid: CustomerId, sub: WorldSubscription, plan: WorldPlan, now: datetime) -> Subscription:
    """The domain subscription: the period end from the plan's interval, trial and cancellation dates."""
    status = SubscriptionStatus(sub.status)
    end = period_end(sub.created, sub.current_period_start, plan.interval)
    ended = min(end, now) if status is SubscriptionStatus.CANCELED else None
    return Subscription(
        SubscriptionId(sub.id),
        cid,
        PlanId(plan.id),
        sub.quantity,
        status,
        sub.created,
        sub.current_period_start,
        end,
        cancel_at_period_end=sub.cancel_at_period_end,
        canceled_at=ended,
        ended_at=ended,
        trial_end=end if status is SubscriptionStatus.TRIALING else None,
        resumes_at=sub.resumes_at,
    )


def next_attempt(inv: WorldInvoice, now: datetime, dunning: tuple[int, ...]) -> datetime | None:
    """When the sandbox retries an imported open invoice: the dunning schedule after its failed attempts.

    Never attempted: an hour after creation. Retries are days after creation (`dunning`); one that is
    already past runs a day after `now`; none once the schedule is exhausted.
    """
    if inv.status != "open":
        return None
    if inv.attempts == 0:
        due = inv.created + timedelta(hours=1)
    elif inv.attempts <= len(dunning):
        due = inv.created + timedelta(days=dunning[inv.attempts - 1])
    else:
        return None
    return due if due > now else now + timedelta(days=1)


def failed_attempts(
    cid: CustomerId,
    inv: WorldInvoice,
    pm: PaymentMethodId | None,
    behavior: str,
    now: datetime,
    dunning: tuple[int, ...],
    taken: Collection[str] = (),
) -> list[Charge]:
    """The failed charges behind an open or uncollectible invoice's `attempts` (Stripe shows each one).

    Their ids (`ch_<invoice>_attempt<n>`) avoid the world's own charge ids in `taken`.
    """
    if inv.status not in ("open", "uncollectible") or pm is None:
        return []
    code = _FAILURE_CODES.get(behavior, "card_declined")
    charges = []
    for n in range(1, inv.attempts + 1):
        offset = timedelta(seconds=5) if n == 1 else timedelta(days=dunning[min(n - 2, len(dunning) - 1)])
        charge_id = f"ch_{inv.id}_attempt{n}"
        while charge_id in taken:
            charge_id += "x"
        charges.append(
            Charge(
                ChargeId(charge_id),
                cid,
                inv.amount,
                min(inv.created + offset, now),
                ChargeStatus.FAILED,
                invoice_id=InvoiceId(inv.id),
                payment_method_id=pm,
                failure_code=code,
            )
        )
    return charges


_FAILURE_CODES = {"declines": "card_declined", "insufficient_funds": "insufficient_funds", "expired": "expired_card"}


def to_invoice(
    cid: CustomerId,
    c: WorldCustomer,
    inv: WorldInvoice,
    sub: WorldSubscription | None,
    plan: WorldPlan | None,
    now: datetime,
    dunning: tuple[int, ...] = DEFAULT_DUNNING_DAYS,
) -> Invoice:
    """The domain invoice: subtotal = amount - tax, one line, the reverse-charge note when it applies."""
    total = inv.amount
    tax = inv.tax if inv.tax is not None else Money.zero(total.currency)
    subtotal = total - tax
    line = InvoiceLine(f"Invoice {inv.number}", subtotal)
    if sub is not None and plan is not None and plan.amount.currency == total.currency:
        price = plan.amount.times(sub.quantity)
        if price == subtotal:
            seats = f" × {sub.quantity}" if plan.per_seat or sub.quantity > 1 else ""
            line = InvoiceLine(
                f"{plan.name} ({plan.interval}ly){seats}",
                subtotal,
                quantity=sub.quantity,
                period_start=inv.created,
                period_end=add_interval(inv.created, plan.interval),
                plan_id=PlanId(plan.id),
            )
    note = None
    if tax.is_zero and not subtotal.is_zero:
        country = c.address.country if c.address else None
        note = tax_for(DEFAULT_SELLER.country, country, c.vat_id, subtotal).note
    return Invoice(
        InvoiceId(inv.id),
        cid,
        inv.number,
        InvoiceStatus(inv.status),
        inv.created,
        subtotal,
        tax,
        total,
        lines=(line,),
        subscription_id=SubscriptionId(sub.id) if sub is not None else None,
        attempts=inv.attempts,
        next_payment_attempt=next_attempt(inv, now, dunning),
        amount_paid=total if inv.status == "paid" else Money.zero(total.currency),
        tax_note=note,
    )
