"""`pause` (write): pause billing from the current period's end for N months (within policy)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs, day, iso, parse_iso
from purser.domain import SubscriptionId, SubscriptionStatus
from purser.policy.guard import pause_months_ok, pause_resumes_at
from purser.processors import BillingProcessor


class PauseArgs(StrictArgs):
    """How long."""

    months: int = Field(description="Months to pause after the current period ends (1 to the policy's maximum).")


def prepare(ctx: Context, args: PauseArgs) -> Prepared:
    """Check the months and status; quote when the pause starts and when billing resumes."""
    sub, plan = resolve.live_subscription(ctx.snapshot)
    limit = ctx.policy.cancellation.pause_max_months
    if not pause_months_ok(ctx.policy, args.months):
        raise Refusal("pause_months", f"A pause can last 1 to {limit} month(s).")
    if sub.status is SubscriptionStatus.PAUSED or sub.resumes_at is not None:
        raise Refusal("already_paused", "The subscription is already paused.")
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        raise Refusal("subscription_status", f"A {sub.status} subscription cannot be paused.")
    resumes = pause_resumes_at(sub, args.months)
    quote = {
        "months": args.months,
        "starts_at": iso(sub.current_period_end),
        "resumes_at": iso(resumes),
        "next_charge": plan.price_for(sub.quantity if plan.per_seat else 1).amount_str(),
        "currency": plan.amount.currency,
    }
    summary = (
        f"Pause your {plan.name} plan: you keep access until {day(sub.current_period_end)}, nothing is billed "
        f"during the pause, and billing resumes on {day(resumes)}."
    )
    return Prepared(quote, {"subscription_id": sub.id, "resumes_at": iso(resumes)}, summary)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Pause collection."""
    sub = processor.pause(
        SubscriptionId(str(plan["subscription_id"])), resumes_at=parse_iso(str(plan["resumes_at"])), idempotency_key=key
    )
    return Executed(
        {"subscription": sub.id, "status": str(sub.status), "resumes_at": iso(sub.resumes_at)},
        f"Paused: billing resumes on {day(sub.resumes_at or parse_iso(str(plan['resumes_at'])))}.",
    )


SPEC = ActionSpec(
    name="pause",
    description="Pause the subscription for N months from the current period's end (the paid period is honoured).",
    kind="write",
    input_model=PauseArgs,
    prepare=prepare,
    execute=execute,
)
