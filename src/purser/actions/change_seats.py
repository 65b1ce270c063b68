"""`change_seats` (money): set the number of seats of a per-seat subscription."""

from __future__ import annotations

from pydantic import Field

from purser.actions.base import ActionSpec, Context, Prepared, StrictArgs
from purser.actions.changes import execute_change, prepare_change


class ChangeSeatsArgs(StrictArgs):
    """The new total number of seats."""

    quantity: int = Field(description="The new total number of seats (at least 1).")


def prepare(ctx: Context, args: ChangeSeatsArgs) -> Prepared:
    """Quote the seat change (more seats: upgrade timing; fewer: downgrade timing; max_seat_change)."""
    return prepare_change(ctx, None, args.quantity)


SPEC = ActionSpec(
    name="change_seats",
    description="Set the total number of seats on a per-seat plan; the customer confirms the exact quote first.",
    kind="money",
    input_model=ChangeSeatsArgs,
    prepare=prepare,
    execute=execute_change,
)
