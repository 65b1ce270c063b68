"""`refund` (money): full or partial refund of one of the verified customer's charges, within policy."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs, day, iso, money_from
from purser.domain import ChargeId, ChargeStatus
from purser.money import InvalidAmount, Money
from purser.policy.guard import RefundUsage, check_refund, disputed_decision, remaining
from purser.processors import BillingProcessor


class RefundArgs(StrictArgs):
    """Which charge, how much (null = all that remains), why."""

    charge_id: str = Field(min_length=1, max_length=200, description="The charge to refund (ch_...).")
    amount: str | None = Field(
        max_length=40, description="Decimal string in the charge's currency, e.g. '20.00'; null = all that remains."
    )
    reason: Literal["duplicate", "requested_by_customer", "fraudulent"] | None = Field(
        description="Why the money goes back."
    )


def prepare(ctx: Context, args: RefundArgs) -> Prepared:
    """Resolve the charge and amount, apply the hard rules, then the envelope."""
    charge = resolve.charge(ctx.snapshot, args.charge_id)
    currency = charge.amount.currency
    what = f"{charge.amount.format()} charge of {day(charge.created)}"  # how the customer knows it (no charge id)
    usage = ctx.usage or RefundUsage(0, Money.zero(currency), Money.zero(currency))
    if charge.status is not ChargeStatus.SUCCEEDED:
        raise Refusal("not_refundable", f"The {what} did not go through, so there is nothing to refund.")
    if args.reason == "fraudulent" and "fraud" in ctx.policy.escalation.triggers:
        raise Refusal(
            "fraud",
            "A payment you did not make needs our fraud team; a teammate will take this over.",
            status="escalated",
            handoff_reason="fraud",
        )
    if charge.disputed:
        decision = disputed_decision(ctx.policy)
        status: Literal["refused", "escalated"] = "escalated" if decision.kind == "escalate" else "refused"
        raise Refusal(
            "disputed",
            f"The {what} is disputed with your bank, so it cannot be refunded here; "
            + ("a teammate will take this over." if status == "escalated" else "the dispute decides the outcome."),
            status=status,
            handoff_reason=decision.handoff_reason,
        )
    left = remaining(charge, usage.reserved_on_charge)
    if left.is_zero:
        raise Refusal("already_refunded", f"The {what} has already been refunded in full.")
    if args.amount is None:
        amount = left
    else:
        try:
            amount = Money.parse(args.amount.lstrip("$€£¥ "), currency)
        except InvalidAmount as exc:
            raise Refusal("invalid_amount", f"Invalid amount: {exc}.", status="invalid") from None
        if amount.minor <= 0:
            raise Refusal("invalid_amount", "The refund amount must be more than zero.", status="invalid")
        if amount > left:
            raise Refusal(
                "exceeds_refundable",
                f"At most {left.format()} of the {what} can still be refunded.",
            )
    check = check_refund(ctx.policy, ctx.snapshot, charge, amount, usage)
    quote = {
        "charge": charge.id,
        "charge_amount": charge.amount.amount_str(),
        "charge_created": iso(charge.created),
        "amount": amount.amount_str(),
        "currency": currency,
        "full": amount == charge.refundable,
        "duplicate": check.duplicate,
    }
    plan = {
        "charge_id": charge.id,
        "amount_minor": amount.minor,
        "currency": currency,
        "reason": args.reason or ("duplicate" if check.duplicate else "requested_by_customer"),
    }
    summary = f"Refund {amount.format()} of the {charge.amount.format()} charge of {day(charge.created)}"
    summary += " (duplicate charge)." if check.duplicate else "."
    return Prepared(quote, plan, summary, check.violations, money=amount, counts=not check.duplicate)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Refund with the idempotency key (a replay returns the first refund)."""
    amount = money_from(plan)
    refund = processor.refund(
        ChargeId(str(plan["charge_id"])),
        amount,
        reason=str(plan.get("reason") or "requested_by_customer"),
        metadata={k: str(v) for k, v in plan.get("metadata", {}).items()},
        idempotency_key=key,
    )
    result = {
        "refund": refund.id,
        "charge": refund.charge_id,
        "amount": refund.amount.amount_str(),
        "currency": refund.amount.currency,
        "created": iso(refund.created),
    }
    return Executed(result, f"Refunded {refund.amount.format()}; it usually reaches the card in 5-10 days.")


SPEC = ActionSpec(
    name="refund",
    description=(
        "Refund all or part of one of the customer's charges (by charge id from lookup_account). amount is a "
        "decimal string in the charge's currency, or null for everything that remains. The customer confirms the "
        "quote first; the refund policy decides whether it runs, needs a teammate's approval or is refused."
    ),
    kind="money",
    input_model=RefundArgs,
    prepare=prepare,
    execute=execute,
)
