"""`lookup_account` (read): the verified customer's billing state as the JSON of CONTRACTS.md."""

from __future__ import annotations

from typing import Any

from purser.actions.base import ActionSpec, Context, StrictArgs
from purser.domain import AccountSnapshot
from purser.domain.serialize import plan_json, snapshot_json

__all__ = ["SPEC", "LookupAccountArgs", "account_json", "plan_json", "run"]


class LookupAccountArgs(StrictArgs):
    """No arguments: the account is always the verified customer's."""


def account_json(snapshot: AccountSnapshot) -> dict[str, Any]:
    """The `lookup_account` result: `purser.domain.serialize.snapshot_json`'s agent view."""
    return snapshot_json(snapshot, "agent")


def run(ctx: Context, args: LookupAccountArgs) -> dict[str, Any]:
    """The verified customer's account."""
    return snapshot_json(ctx.snapshot, "agent")


SPEC = ActionSpec(
    name="lookup_account",
    description=(
        "The verified customer's billing state: plan, seats, status, next invoice, card on file, past-due "
        "balance, recent charges, invoices and refunds, and the plans available. Call it before any other action."
    ),
    kind="read",
    input_model=LookupAccountArgs,
    run=run,
)
