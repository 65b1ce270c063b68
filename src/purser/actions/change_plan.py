"""`change_plan` (money): move the subscription to another plan; timing comes from the policy."""

from __future__ import annotations

from pydantic import Field

from purser.actions.base import ActionSpec, Context, Prepared, StrictArgs
from purser.actions.changes import execute_change, prepare_change


class ChangePlanArgs(StrictArgs):
    """The target plan."""

    plan: str = Field(min_length=1, max_length=200, description="Plan id or name (case-insensitive).")


def prepare(ctx: Context, args: ChangePlanArgs) -> Prepared:
    """Quote the change (upgrade = higher recurring amount: policy `upgrade` timing; else `downgrade`)."""
    return prepare_change(ctx, args.plan, None)


SPEC = ActionSpec(
    name="change_plan",
    description=(
        "Move the subscription to another plan (id or name). Upgrades and downgrades take effect when the "
        "policy says; the customer confirms the exact quote first."
    ),
    kind="money",
    input_model=ChangePlanArgs,
    prepare=prepare,
    execute=execute_change,
)
