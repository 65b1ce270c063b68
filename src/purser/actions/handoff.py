"""`handoff` (control): hand the conversation to a human with a summary they can act on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from purser.actions.base import ActionSpec, StrictArgs


class HandoffArgs(StrictArgs):
    """Why, and what the human needs to know."""

    reason: Literal[
        "dispute", "fraud", "legal_threat", "human_request", "abuse", "repeated_failure", "out_of_scope"
    ] = Field(description="Why a human must take over.")
    summary: str = Field(
        min_length=1, max_length=2000, description="What the customer asked, what was done, what is left."
    )


SPEC = ActionSpec(
    name="handoff",
    description=(
        "Hand the conversation to a human teammate: disputes/chargebacks, fraud, legal threats, when the customer "
        "asks for a person, abuse, repeated failures, or anything outside the billing actions."
    ),
    kind="control",
    input_model=HandoffArgs,
)
