"""`cancel` (write): cancel at the period end or now (policy), after the save offer.

With `save_offer: pause`, the first `cancel` of a conversation is refused with reason
`save_offer` and a summary offering the pause; the next `cancel` in that conversation proceeds.
The cancellation is confirmed in writing (a `cancellation` email).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs, day, iso, parse_iso
from purser.domain import CustomerId, SubscriptionId
from purser.policy.guard import cancel_effective_at, save_offer_applies
from purser.processors import BillingProcessor


class CancelArgs(StrictArgs):
    """Why (free text, for the record)."""

    reason: str | None = Field(max_length=500, description="The customer's reason, if given.")


def prepare(ctx: Context, args: CancelArgs) -> Prepared:
    """Save offer once per conversation, then quote the effective date."""
    sub, plan = resolve.live_subscription(ctx.snapshot)
    if sub.cancel_at_period_end:
        raise Refusal("already_canceled", f"The subscription already ends on {day(sub.current_period_end)}.")
    offered = any(p["action"] == "cancel" and p.get("reason") == "save_offer" for p in ctx.prior)
    if save_offer_applies(ctx.policy, sub) and not offered:
        months = ctx.policy.cancellation.pause_max_months
        raise Refusal(
            "save_offer",
            f"Before cancelling: you can pause instead for up to {months} month(s) — you keep access until "
            f"{day(sub.current_period_end)} and pay nothing during the pause. Would you like to pause, "
            "or still cancel?",
        )
    effective = ctx.policy.cancellation.effective
    at = cancel_effective_at(ctx.policy, sub, ctx.snapshot.now)
    at_text = iso(at) if effective == "period_end" else iso(parse_iso(str(ctx.fixed.get("effective_at", iso(at)))))
    quote = {"effective": effective, "effective_at": at_text, "plan": plan.id, "refund": "0.00"}
    summary = (
        f"Cancel your {plan.name} plan: you keep access until {day(at)} and will not be charged again."
        if effective == "period_end"
        else f"Cancel your {plan.name} plan now: access ends today and you will not be charged again."
    )
    return Prepared(
        quote,
        {
            "subscription_id": sub.id,
            "customer_id": ctx.snapshot.customer.id,
            "effective": effective,
            "effective_at": at_text,
            "plan_name": plan.name,
            "reason": args.reason,
        },
        summary,
        fixed={"effective_at": at_text},
    )


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Cancel, then confirm the effective date in writing."""
    sub_id = SubscriptionId(str(plan["subscription_id"]))
    if plan["effective"] == "now":
        sub = processor.cancel(sub_id, effective="now", idempotency_key=key)
    else:
        sub = processor.cancel(sub_id, effective="period_end", idempotency_key=key)
    when = day(parse_iso(str(plan["effective_at"])))
    body = f"Your {plan['plan_name']} subscription is canceled; it ends on {when}. You will not be charged again."
    processor.notify(
        CustomerId(str(plan["customer_id"])),
        kind="cancellation",
        subject="Your subscription is canceled",
        body=body,
        idempotency_key=key + ":email",
    )
    return Executed(
        {
            "subscription": sub.id,
            "status": str(sub.status),
            "cancel_at_period_end": sub.cancel_at_period_end,
            "ends_at": plan["effective_at"],
        },
        f"Canceled: your subscription ends on {when}; a confirmation is on its way by email.",
    )


SPEC = ActionSpec(
    name="cancel",
    description=(
        "Cancel the subscription (at the period end or now, per policy). The first call offers a pause instead "
        "(status refused, reason save_offer): present that offer; if the customer still wants to cancel, call again."
    ),
    kind="write",
    input_model=CancelArgs,
    prepare=prepare,
    execute=execute,
    reads_prior=True,  # the save offer is made once per conversation
)
