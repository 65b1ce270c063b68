"""Subscription writes: plan and seat changes (prorated now or at the period end), pause, resume, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection

from purser.domain import (
    Customer,
    InvoiceLine,
    Plan,
    PlanId,
    ProrationQuote,
    Subscription,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.base import ChangeResult, ChangeTiming
from purser.processors.errors import CardDeclined, Conflict, InvalidRequest
from purser.processors.sandbox import invoices, queries
from purser.processors.sandbox.clock import add_interval, to_db
from purser.processors.sandbox.events import emit
from purser.processors.sandbox.proration import Proration, prorate
from purser.store import sandbox_tables as t

_CHANGEABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.TRIALING)


def _check_quantity(quantity: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidRequest(f"quantity must be a whole number ≥ 1, got {quantity!r}", code="invalid_quantity")


def _credit_available(cust: Customer, currency: str) -> int:
    if cust.balance is None or cust.balance.currency != currency:
        return 0
    return max(-cust.balance.minor, 0)


def recurring_amount(cust: Customer, plan: Plan, quantity: int) -> Money:
    """One full period of `plan` × `quantity` with tax (before customer credit)."""
    subtotal = plan.price_for(quantity)
    tax, _ = invoices.signed_tax(cust, subtotal)
    return subtotal + tax


def quote(
    conn: Connection,
    sub: Subscription,
    *,
    plan_id: str,
    quantity: int,
    timing: ChangeTiming,
    proration_date: datetime,
    now: datetime,
) -> tuple[ProrationQuote, Proration | None]:
    """The exact quote of a change (and the proration to apply, for `now_prorated`)."""
    _check_quantity(quantity)
    if timing not in ("now_prorated", "period_end"):
        raise InvalidRequest(f"timing must be now_prorated or period_end, got {timing!r}", code="invalid_timing")
    if sub.status not in _CHANGEABLE:
        raise Conflict(f"subscription {sub.id} is {sub.status.value}; it cannot be changed", code="not_changeable")
    old = queries.plan(conn, sub.plan_id)
    new = queries.plan(conn, plan_id)
    if new.amount.currency != old.amount.currency:
        raise InvalidRequest(
            f"plan {plan_id} is billed in {new.amount.currency.upper()}, the subscription in "
            f"{old.amount.currency.upper()}",
            code="currency_mismatch",
        )
    unchanged = new.id == old.id and quantity == sub.quantity
    if unchanged and (timing == "now_prorated" or sub.scheduled_plan_id is None):
        raise InvalidRequest(f"subscription {sub.id} is already on {plan_id} × {quantity}", code="no_change")
    currency = old.amount.currency
    zero = Money.zero(currency)
    cust = queries.customer(conn, sub.customer_id)
    next_amount = recurring_amount(cust, new, quantity)
    common: dict[str, Any] = {
        "subscription_id": sub.id,
        "from_plan": old,
        "to_plan": new,
        "from_quantity": sub.quantity,
        "to_quantity": quantity,
        "timing": timing,
        "proration_date": proration_date,
        "next_invoice_amount": next_amount,
    }
    if timing == "period_end" or sub.status is SubscriptionStatus.TRIALING:
        effective = sub.current_period_end if timing == "period_end" else now
        if sub.status is SubscriptionStatus.TRIALING and timing == "period_end" and sub.trial_end:
            effective = sub.trial_end
        return ProrationQuote(effective_at=effective, amount_due_now=zero, credit=zero, **common), None
    proration = prorate(
        old_plan=old,
        old_quantity=sub.quantity,
        new_plan=new,
        new_quantity=quantity,
        period_start=sub.current_period_start,
        period_end=sub.current_period_end,
        proration_date=proration_date,
    )
    subtotal = Money(proration.total, currency)
    tax, _ = invoices.signed_tax(cust, subtotal)
    total = subtotal + tax
    applied = min(total.minor, _credit_available(cust, currency)) if total.minor > 0 else 0
    due = Money(max(total.minor - applied, 0), currency)
    credit = Money(-total.minor, currency) if total.is_negative else zero
    extra = {"subtotal": subtotal.amount_str(), "tax": tax.amount_str(), "credit_applied": str(applied)}
    if proration.resets_cycle:
        extra["new_period_end"] = proration.new_period_end.isoformat()
    result = ProrationQuote(
        effective_at=now, lines=proration.lines, amount_due_now=due, credit=credit, extra=extra, **common
    )
    return result, proration


def _updated(conn: Connection, before: Subscription, at: datetime, **previous: Any) -> Subscription:
    after = queries.subscription(conn, before.id)
    emit(conn, "customer.subscription.updated", after, at, customer_id=after.customer_id, previous=previous)
    return after


def change(
    conn: Connection,
    sub_id: str,
    *,
    plan_id: str,
    quantity: int,
    timing: ChangeTiming,
    proration_date: datetime,
    now: datetime,
    dunning_days: tuple[int, ...],
) -> ChangeResult:
    """Apply a change; a declined charge for a prorated upgrade raises `CardDeclined` and changes nothing."""
    queries.lock_owner(conn, t.subscriptions, sub_id)  # customer first (queries.py: lock order)
    sub = queries.subscription(conn, sub_id, lock=True)
    q, proration = quote(
        conn, sub, plan_id=plan_id, quantity=quantity, timing=timing, proration_date=proration_date, now=now
    )
    prev = {"plan": sub.plan_id, "quantity": sub.quantity}
    if timing == "period_end":
        unchanged = plan_id == sub.plan_id and quantity == sub.quantity
        queries.set_values(
            conn,
            t.subscriptions,
            sub_id,
            scheduled_plan_id=None if unchanged else plan_id,
            scheduled_quantity=None if unchanged else quantity,
        )
        previous = {"scheduled_plan": sub.scheduled_plan_id, "scheduled_quantity": sub.scheduled_quantity}
        return ChangeResult(_updated(conn, sub, now, **previous), None, None)
    values: dict[str, Any] = {
        "plan_id": plan_id,
        "quantity": quantity,
        "scheduled_plan_id": None,
        "scheduled_quantity": None,
    }
    if proration is not None and proration.resets_cycle:
        values.update(
            billing_cycle_anchor=to_db(proration.new_period_start),
            current_period_start=to_db(proration.new_period_start),
            current_period_end=to_db(proration.new_period_end),
        )
    queries.set_values(conn, t.subscriptions, sub_id, **values)
    # The row as the UPDATE left it (what `_updated` would read back).
    start, end = sub.current_period_start, sub.current_period_end
    if proration is not None and proration.resets_cycle:
        start, end = proration.new_period_start, proration.new_period_end
    after = replace(
        sub,
        plan_id=PlanId(plan_id),
        quantity=quantity,
        scheduled_plan_id=None,
        scheduled_quantity=None,
        current_period_start=start,
        current_period_end=end,
    )
    emit(conn, "customer.subscription.updated", after, now, customer_id=after.customer_id, previous=prev)
    if proration is None:  # trialing: no proration
        return ChangeResult(after, None, None)
    lines = [
        InvoiceLine(
            description=line.description,
            amount=line.amount,
            quantity=sub.quantity if i == 0 else quantity,
            period_start=line.period_start,
            period_end=line.period_end,
            proration=True,
            plan_id=q.from_plan.id if i == 0 else q.to_plan.id,
        )
        for i, line in enumerate(proration.lines)
    ]
    invoice_id, due = invoices.create_invoice(
        conn,
        customer_id=sub.customer_id,
        subscription_id=sub_id,
        lines=lines,
        at=now,
        billing_reason="subscription_update",
    )
    charge = None
    if due > 0:
        charge, failure = invoices.attempt_payment(
            conn, invoice_id, now, dunning_days=dunning_days, known_status=after.status.value
        )
        if failure == "no_payment_method":
            raise InvalidRequest(f"customer {sub.customer_id} has no default payment method", code=failure)
        if failure is not None:
            raise CardDeclined(
                f"the card was declined ({failure}); the change to {plan_id} was not applied", code=failure
            )
    # Only a past-due subscription can have changed since (the payment reactivates it).
    final = after if after.status is not SubscriptionStatus.PAST_DUE else queries.subscription(conn, sub_id)
    return ChangeResult(final, queries.invoice(conn, invoice_id), charge)


def pause(conn: Connection, sub_id: str, *, resumes_at: datetime, now: datetime) -> Subscription:
    """Status paused from now; the paid period is honoured; billing resumes at `resumes_at`."""
    queries.lock_owner(conn, t.subscriptions, sub_id)  # customer first (queries.py: lock order)
    sub = queries.subscription(conn, sub_id, lock=True)
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.PAUSED):
        raise Conflict(f"subscription {sub_id} is {sub.status.value}; only an active one can be paused")
    if resumes_at <= now:
        raise InvalidRequest(
            f"resumes_at {resumes_at.isoformat()} must be after now ({now.isoformat()})", code="invalid_resumes_at"
        )
    queries.set_values(
        conn,
        t.subscriptions,
        sub_id,
        status="paused",
        pause_starts_at=to_db(max(sub.current_period_end, now)),
        resumes_at=to_db(resumes_at),
    )
    after = queries.subscription(conn, sub_id)
    previous = {"status": sub.status.value, "resumes_at": sub.resumes_at.isoformat() if sub.resumes_at else None}
    emit(conn, "customer.subscription.paused", after, now, customer_id=after.customer_id, previous=previous)
    return _updated(conn, sub, now, **previous)


def start_new_period(
    conn: Connection, sub_id: str, at: datetime, *, dunning_days: tuple[int, ...], reason: str
) -> None:
    """Restart the billing cycle at `at` (after a pause): active, new period, invoice and charge."""
    queries.lock_owner(conn, t.subscriptions, sub_id)  # customer first (queries.py: lock order)
    sub = queries.subscription(conn, sub_id, lock=True)
    plan_id = sub.scheduled_plan_id or sub.plan_id
    quantity = sub.scheduled_quantity or sub.quantity
    plan = queries.plan(conn, plan_id)
    end = add_interval(at, plan.interval)
    queries.set_values(
        conn,
        t.subscriptions,
        sub_id,
        status="active",
        plan_id=plan_id,
        quantity=quantity,
        scheduled_plan_id=None,
        scheduled_quantity=None,
        billing_cycle_anchor=to_db(at),
        current_period_start=to_db(at),
        current_period_end=to_db(end),
        pause_starts_at=None,
        resumes_at=None,
    )
    bill_period(conn, sub_id, plan, quantity, at, end, dunning_days=dunning_days, reason=reason, attempt=True)


def bill_period(
    conn: Connection,
    sub_id: str,
    plan: Plan,
    quantity: int,
    start: datetime,
    end: datetime,
    *,
    dunning_days: tuple[int, ...],
    reason: str,
    attempt: bool,
    customer_id: str | None = None,
    known_status: str | None = None,
) -> None:
    """Invoice one period of `plan` × `quantity` and (when `attempt`) charge it."""
    if customer_id is None:
        customer_id = queries.subscription(conn, sub_id).customer_id
    line = InvoiceLine(
        description=f"{invoices.line_label(plan, quantity)} ({start:%d %b %Y} – {end:%d %b %Y})",
        amount=plan.price_for(quantity),
        quantity=quantity,
        period_start=start,
        period_end=end,
        plan_id=plan.id,
    )
    invoice_id, due = invoices.create_invoice(
        conn, customer_id=customer_id, subscription_id=sub_id, lines=[line], at=start, billing_reason=reason
    )
    if due > 0 and attempt:
        invoices.attempt_payment(conn, invoice_id, start, dunning_days=dunning_days, known_status=known_status)


def resume(conn: Connection, sub_id: str, *, now: datetime, dunning_days: tuple[int, ...]) -> Subscription:
    """Back to active now; when the paid period is over, a new period starts now and is invoiced.

    A subscription that is not paused but set to cancel at the period's end keeps going instead: the
    scheduled cancellation is withdrawn (Stripe: `cancel_at_period_end=false`)."""
    queries.lock_owner(conn, t.subscriptions, sub_id)  # customer first (queries.py: lock order)
    sub = queries.subscription(conn, sub_id, lock=True)
    if sub.status is not SubscriptionStatus.PAUSED and sub.cancel_at_period_end and sub.current_period_end > now:
        queries.set_values(conn, t.subscriptions, sub_id, cancel_at_period_end=False, canceled_at=None)
        return _updated(conn, sub, now, cancel_at_period_end=True)
    if sub.status is not SubscriptionStatus.PAUSED:
        raise Conflict(f"subscription {sub_id} is {sub.status.value}, not paused", code="not_paused")
    if sub.current_period_end <= now:
        start_new_period(conn, sub_id, now, dunning_days=dunning_days, reason="subscription_cycle")
    else:
        queries.set_values(conn, t.subscriptions, sub_id, status="active", pause_starts_at=None, resumes_at=None)
    after = queries.subscription(conn, sub_id)
    emit(conn, "customer.subscription.resumed", after, now, customer_id=after.customer_id)
    return _updated(conn, sub, now, status="paused")


def cancel(conn: Connection, sub_id: str, *, effective: Literal["period_end", "now"], now: datetime) -> Subscription:
    """Cancel at the period end (`cancel_at_period_end`) or now (status canceled, ended_at now)."""
    queries.lock_owner(conn, t.subscriptions, sub_id)  # customer first (queries.py: lock order)
    sub = queries.subscription(conn, sub_id, lock=True)
    if sub.status is SubscriptionStatus.CANCELED:
        raise Conflict(f"subscription {sub_id} is already canceled", code="already_canceled")
    if effective == "period_end":
        queries.set_values(conn, t.subscriptions, sub_id, cancel_at_period_end=True, canceled_at=to_db(now))
        return _updated(conn, sub, now, cancel_at_period_end=sub.cancel_at_period_end)
    if effective != "now":
        raise InvalidRequest(f"effective must be period_end or now, got {effective!r}", code="invalid_effective")
    end_now(conn, sub_id, now, canceled_at=now)
    return queries.subscription(conn, sub_id)


def end_now(conn: Connection, sub_id: str, at: datetime, *, canceled_at: datetime | None = None) -> None:
    """Mark the subscription canceled and ended at `at`; emits `customer.subscription.deleted`."""
    sub = queries.subscription(conn, sub_id)
    queries.set_values(
        conn,
        t.subscriptions,
        sub_id,
        status="canceled",
        ended_at=to_db(at),
        canceled_at=to_db(canceled_at or sub.canceled_at or at),
        cancel_at_period_end=False,
        scheduled_plan_id=None,
        scheduled_quantity=None,
        resumes_at=None,
        pause_starts_at=None,
    )
    after = queries.subscription(conn, sub_id)
    emit(
        conn,
        "customer.subscription.deleted",
        after,
        at,
        customer_id=after.customer_id,
        previous={"status": sub.status.value},
    )
