"""`preview_change` (read): the exact proration quote of a plan or seat change."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from purser.actions.base import ActionSpec, Context, StrictArgs
from purser.actions.changes import prepare_change


class PreviewChangeArgs(StrictArgs):
    """Target plan and/or seats (null = unchanged)."""

    plan: str | None = Field(max_length=200, description="Plan id or name (case-insensitive); null = current plan.")
    quantity: int | None = Field(description="New total number of seats (per-seat plans); null = unchanged.")


def run(ctx: Context, args: PreviewChangeArgs) -> dict[str, Any]:
    """The quote, with the timing the policy gives the change."""
    prepared = prepare_change(ctx, args.plan, args.quantity)
    return {**prepared.quote, "summary": prepared.summary, "needs_approval": bool(prepared.violations)}


SPEC = ActionSpec(
    name="preview_change",
    description=(
        "Exact proration quote for changing plan (id or name) and/or seats: amount due now, credit, the next "
        "invoice, and when it takes effect under the policy. Changes nothing."
    ),
    kind="read",
    input_model=PreviewChangeArgs,
    run=run,
)
