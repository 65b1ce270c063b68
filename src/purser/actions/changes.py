"""Shared logic of plan and seat changes: target resolution, policy timing, the proration quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from purser.actions import resolve
from purser.actions.base import Context, Executed, Prepared, Refusal, day, iso, parse_iso
from purser.actions.lookup_account import plan_json
from purser.domain import Interval, Plan, PlanId, ProrationQuote, Subscription, SubscriptionId, SubscriptionStatus
from purser.money import Money
from purser.policy.guard import change_timing, recurring, seat_violation
from purser.processors import BillingProcessor, ProcessorError

MAX_QUANTITY = 100_000
"""Upper bound on seats, whatever the policy says."""

CHANGEABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved change."""

    subscription: Subscription
    current: Plan
    plan: Plan
    quantity: int
    timing: str
    violations: tuple[str, ...]


def target(ctx: Context, plan_ref: str | None, quantity: int | None) -> Target:
    """Resolve a change of plan and/or quantity and apply the plan and seat rules."""
    sub, current = resolve.live_subscription(ctx.snapshot)
    if sub.status not in CHANGEABLE:
        raise Refusal("subscription_status", f"A {sub.status} subscription cannot be changed; resume it first.")
    new_plan = resolve.plan(ctx.snapshot, plan_ref) if plan_ref else current
    if quantity is not None:
        if not new_plan.per_seat:
            raise Refusal("not_per_seat", f"The {new_plan.name} plan is not billed per seat.")
        if quantity < 1 or quantity > MAX_QUANTITY:
            raise Refusal("invalid_quantity", "The number of seats must be at least 1.", status="invalid")
        new_qty = quantity
    else:
        new_qty = sub.quantity if (new_plan.per_seat and current.per_seat) else 1
    if new_plan.id == current.id and new_qty == sub.quantity:
        raise Refusal("no_change", f"You are already on {current.name} with {sub.quantity} seat(s).")
    if new_plan.amount.currency != current.amount.currency:
        raise Refusal("currency_mismatch", "Changing to a plan in another currency needs a teammate.")
    violations: tuple[str, ...] = ()
    if new_plan.per_seat and current.per_seat:
        bad = seat_violation(ctx.policy, sub.quantity, new_qty)
        violations = (bad,) if bad else ()
    timing = change_timing(ctx.policy, current, sub.quantity, new_plan, new_qty)
    return Target(sub, current, new_plan, new_qty, timing, violations)


def proration_date(ctx: Context) -> datetime:
    """The instant the quote is computed for: fixed at the first quote, reused when re-quoting."""
    fixed = ctx.fixed.get("proration_date")
    return parse_iso(str(fixed)) if fixed else ctx.snapshot.now


def quote_json(quote: ProrationQuote) -> dict[str, Any]:
    """The proration quote as the customer sees it."""
    currency = quote.to_plan.amount.currency
    due = quote.amount_due_now or Money.zero(currency)
    return {
        "from_plan": plan_json(quote.from_plan),
        "to_plan": plan_json(quote.to_plan),
        "from_quantity": quote.from_quantity,
        "to_quantity": quote.to_quantity,
        "timing": quote.timing,
        "effective_at": iso(quote.effective_at),
        "proration_date": iso(quote.proration_date),
        "lines": [{"description": line.description, "amount": line.amount.amount_str()} for line in quote.lines],
        "amount_due_now": due.amount_str(),
        "credit": (quote.credit or Money.zero(currency)).amount_str(),
        "next_invoice_amount": (quote.next_invoice_amount or recurring(quote.to_plan, quote.to_quantity)).amount_str(),
        "currency": currency,
    }


def preview(ctx: Context, t: Target) -> ProrationQuote:
    """The processor's quote for `t`."""
    try:
        return ctx.processor.preview_change(
            SubscriptionId(t.subscription.id),
            plan_id=PlanId(t.plan.id),
            quantity=t.quantity,
            timing="now_prorated" if t.timing == "now_prorated" else "period_end",
            proration_date=proration_date(ctx),
        )
    except ProcessorError as exc:
        raise Refusal(exc.code, f"The change cannot be quoted: {exc.message}") from None


def prepare_change(ctx: Context, plan_ref: str | None, quantity: int | None) -> Prepared:
    """Quote a plan or seat change."""
    t = target(ctx, plan_ref, quantity)
    q = preview(ctx, t)
    quote = quote_json(q)
    plan = {
        "subscription_id": t.subscription.id,
        "plan_id": t.plan.id,
        "quantity": t.quantity,
        "timing": t.timing,
        "proration_date": quote["proration_date"],
    }
    due = q.amount_due_now or Money.zero(t.plan.amount.currency)
    what = (
        f"Switch from {plan_label(t.current, t.plan)} to {plan_label(t.plan, t.current)}"
        if t.plan.id != t.current.id
        else f"Change from {t.subscription.quantity} to {t.quantity} seats"
    )
    if t.timing == "now_prorated":
        when = f" now; you pay {due.format()} today" if due.minor > 0 else " now"
        if q.credit is not None and q.credit.minor != 0:
            when += f" and get {abs(q.credit).format()} of credit"
    else:
        when = f" on {day(q.effective_at)}, at the end of the current period; nothing is charged today"
    summary = f"{what}{when}. {then_per_period(t.plan, t.quantity, q.next_invoice_amount)}"
    return Prepared(quote, plan, summary, t.violations, fixed={"proration_date": quote["proration_date"]})


def plan_label(plan: Plan, other: Plan) -> str:
    """A plan's name, with its billing period when `other` has the same name ("Pro (yearly)" vs "Pro (monthly)")."""
    if plan.name != other.name or plan.interval == other.interval:
        return plan.name
    return f"{plan.name} ({'yearly' if plan.interval == Interval.YEAR else 'monthly'})"


def then_per_period(plan: Plan, quantity: int, next_invoice: Money | None) -> str:
    """ "Then $120.00 per month." — or, when the processor's next invoice adds tax, the price with tax first
    and the price before it named as such (never the two mixed under one "per month")."""
    price = recurring(plan, quantity)
    if next_invoice is not None and next_invoice.currency == price.currency and next_invoice > price:
        return f"Then {next_invoice.format()} per {plan.interval} including tax ({price.format()} before tax)."
    return f"Then {price.format()} per {plan.interval}."


def execute_change(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Apply the change with the quoted proration date, then read back the invoice total."""
    result = processor.change_subscription(
        SubscriptionId(str(plan["subscription_id"])),
        plan_id=PlanId(str(plan["plan_id"])),
        quantity=int(plan["quantity"]),
        timing="now_prorated" if plan["timing"] == "now_prorated" else "period_end",
        proration_date=parse_iso(str(plan["proration_date"])),
        idempotency_key=key,
    )
    sub = result.subscription
    out: dict[str, Any] = {
        "subscription": sub.id,
        "plan": sub.plan_id,
        "quantity": sub.quantity,
        "status": str(sub.status),
        "scheduled_plan": sub.scheduled_plan_id,
        "scheduled_quantity": sub.scheduled_quantity,
        "invoice": None,
        "charge": None,
    }
    summary = "Done: the change is applied."
    if result.invoice is not None:
        out["invoice"] = {
            "id": result.invoice.id,
            "number": result.invoice.number,
            "total": result.invoice.total.amount_str(),
            "currency": result.invoice.total.currency,
            "status": str(result.invoice.status),
        }
        summary = f"Done: invoice {result.invoice.number} for {result.invoice.total.format()}."
    if result.charge is not None:
        out["charge"] = {
            "id": result.charge.id,
            "amount": result.charge.amount.amount_str(),
            "status": str(result.charge.status),
        }
    if plan["timing"] == "period_end":
        summary = "Done: the change is scheduled for the end of the current period."
    return Executed(out, summary)
