"""`resume` (write): end a pause; the subscription is active again."""

from __future__ import annotations

from typing import Any

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs, iso
from purser.domain import SubscriptionId, SubscriptionStatus
from purser.processors import BillingProcessor


class ResumeArgs(StrictArgs):
    """No arguments."""


def prepare(ctx: Context, args: ResumeArgs) -> Prepared:
    """Only a paused (or pause-scheduled) subscription resumes."""
    sub, plan = resolve.live_subscription(ctx.snapshot)
    if sub.status is not SubscriptionStatus.PAUSED and sub.resumes_at is None and sub.pause_starts_at is None:
        raise Refusal("not_paused", "The subscription is not paused.")
    quote = {
        "plan": plan.id,
        "amount": plan.price_for(sub.quantity if plan.per_seat else 1).amount_str(),
        "currency": plan.amount.currency,
        "interval": str(plan.interval),
    }
    summary = f"Resume your {plan.name} plan now; billing restarts at {plan.amount.format()} per {plan.interval}."
    return Prepared(quote, {"subscription_id": sub.id}, summary)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Resume."""
    sub = processor.resume(SubscriptionId(str(plan["subscription_id"])), idempotency_key=key)
    return Executed(
        {"subscription": sub.id, "status": str(sub.status), "current_period_end": iso(sub.current_period_end)},
        "Your subscription is active again.",
    )


SPEC = ActionSpec(
    name="resume",
    description="End a pause: the subscription becomes active again.",
    kind="write",
    input_model=ResumeArgs,
    prepare=prepare,
    execute=execute,
)
