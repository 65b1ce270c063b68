"""`resume` (write): end a pause, or withdraw a cancellation scheduled for the period's end; either way
the subscription is active and renews again."""

from __future__ import annotations

from typing import Any

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs, day, iso
from purser.domain import SubscriptionId, SubscriptionStatus
from purser.money import Money
from purser.processors import BillingProcessor


class ResumeArgs(StrictArgs):
    """No arguments."""


def prepare(ctx: Context, args: ResumeArgs) -> Prepared:
    """A paused (or pause-scheduled) subscription resumes; one set to cancel at the period's end keeps going."""
    sub, plan = resolve.live_subscription(ctx.snapshot)
    paused = sub.status is SubscriptionStatus.PAUSED or sub.resumes_at is not None or sub.pause_starts_at is not None
    withdraw = not paused and sub.cancel_at_period_end
    if not paused and not withdraw:
        raise Refusal("not_paused", "The subscription is not paused and no cancellation is scheduled.")
    price = plan.price_for(sub.quantity if plan.per_seat else 1)
    quote: dict[str, Any] = {
        "plan": plan.id,
        "amount": price.amount_str(),
        "currency": plan.amount.currency,
        "interval": str(plan.interval),
    }
    if withdraw:
        quote.update(cancellation_withdrawn=True, renews_at=iso(sub.current_period_end))
        summary = (
            f"Keep your {plan.name} plan: the cancellation is withdrawn and it renews on "
            f"{sub.current_period_end.day} {sub.current_period_end:%B %Y} at {price.format()} per {plan.interval}."
        )
    elif sub.current_period_end <= ctx.snapshot.now:
        # the paid period is over: resuming starts a new period now, invoiced and charged at once
        quote["amount_due_now"] = price.amount_str()
        summary = (
            f"Resume your {plan.name} plan now: you pay {price.format()} today for a new {plan.interval}, "
            f"then {price.format()} per {plan.interval}."
        )
    else:
        quote.update(amount_due_now=Money.zero(price.currency).amount_str(), renews_at=iso(sub.current_period_end))
        summary = (
            f"Resume your {plan.name} plan now; nothing is charged today, and billing continues at "
            f"{price.format()} per {plan.interval} on {day(sub.current_period_end)}."
        )
    return Prepared(quote, {"subscription_id": sub.id, "cancellation_withdrawn": withdraw}, summary)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Resume."""
    sub = processor.resume(SubscriptionId(str(plan["subscription_id"])), idempotency_key=key)
    said = (
        "Your subscription continues: it is no longer set to cancel and renews on "
        f"{sub.current_period_end.day} {sub.current_period_end:%B %Y}."
        if plan.get("cancellation_withdrawn")
        else "Your subscription is active again."
    )
    return Executed(
        {"subscription": sub.id, "status": str(sub.status), "current_period_end": iso(sub.current_period_end)},
        said,
    )


SPEC = ActionSpec(
    name="resume",
    description=(
        "End a pause, or keep a subscription that is set to cancel at the period's end: it becomes active "
        "and renews again."
    ),
    kind="write",
    input_model=ResumeArgs,
    prepare=prepare,
    execute=execute,
)
