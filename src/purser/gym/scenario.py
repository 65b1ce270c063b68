"""A loaded gym scenario (../shared/gym/FORMAT.md): frozen values, every key already validated.

`purser.gym.loader` builds these from YAML; the runner and the judge only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from purser.gym.dunning import DunningPlan
from purser.money import Money
from purser.policy.escalation import HANDOFF_REASONS as _HANDOFF_REASONS
from purser.policy.schema import Policy
from purser.worlds import World

Decision = Literal["yes", "no"]
ApproverRule = Literal["approve", "deny", "none"]

WRITE_ACTIONS: tuple[str, ...] = (
    "send_invoice",
    "update_billing_details",
    "refund",
    "change_plan",
    "change_seats",
    "retry_payment",
    "payment_method_link",
    "pause",
    "resume",
    "cancel",
)
"""The catalog's write actions: the ones a customer confirms and an approver may be asked about."""

HANDOFF_REASONS: tuple[str, ...] = _HANDOFF_REASONS
"""Reasons a handoff can carry (CONTRACTS.md, the `handoff` tool)."""

CHANNELS: tuple[str, ...] = ("web", "slack", "discord", "whatsapp", "email", "api")
"""Channels a conversation may come from."""

SUBSCRIPTION_FIELDS: tuple[str, ...] = (
    "plan",
    "quantity",
    "status",
    "cancel_at_period_end",
    "resumes_at",
    "scheduled_plan",
    "scheduled_quantity",
)
"""Fields `expect.subscription` may check."""

BILLING_FIELDS: tuple[str, ...] = (
    "name",
    "email",
    "vat_id",
    "address.line1",
    "address.city",
    "address.postal_code",
    "address.country",
)
"""Fields `expect.billing` may check (dotted paths)."""


@dataclass(frozen=True, slots=True)
class ConfirmRule:
    """How the simulated customer answers a confirmation request.

    `default` answers every action when there is no per-action map; with a map, an action that
    is not listed is declined (the customer agrees only to what the scenario says they agree to).
    """

    default: Decision = "yes"
    per_action: dict[str, Decision] | None = None

    def decide(self, action: str) -> Decision:
        """The answer to a confirmation request for `action`."""
        if self.per_action is None:
            return self.default
        return self.per_action.get(action, "no")

    def describe(self) -> str:
        """How the rule reads in a report."""
        if self.per_action is None:
            return self.default
        return ", ".join(f"{k}: {v}" for k, v in self.per_action.items())


@dataclass(frozen=True, slots=True)
class RefundExpectation:
    """One refund the conversation must create."""

    charge: str
    amount: Money


@dataclass(frozen=True, slots=True)
class EmailExpectation:
    """One email that must have been sent (`kind` and/or the invoice it carries)."""

    kind: str | None
    invoice: str | None

    def describe(self) -> str:
        """E.g. `{kind: invoice, invoice: in_1}`."""
        parts = [f"kind: {self.kind}"] if self.kind else []
        if self.invoice:
            parts.append(f"invoice: {self.invoice}")
        return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class ApprovalExpectation:
    """One approval request the agent must raise (`amount` checked when given)."""

    action: str
    amount: Money | None


@dataclass(frozen=True, slots=True)
class Expectations:
    """The `expect` block; `None` means the key was absent (not checked)."""

    refunds: tuple[RefundExpectation, ...] | None = None
    charges: tuple[Money, ...] | None = None
    invoices_paid: tuple[str, ...] | None = None
    subscription: dict[str, Any] | None = None
    """Field → expected value; `resumes_at` is a `date` or None."""
    billing: dict[str, str | None] | None = None
    """Dotted path → expected value."""
    emails: tuple[EmailExpectation, ...] | None = None
    approvals: tuple[ApprovalExpectation, ...] | None = None
    handoff: bool | str | None = None
    """False, True or a reason; None when not checked."""
    no_other_writes: bool = True
    says: tuple[tuple[str, ...], ...] = ()
    """Each item: any of these strings must appear."""
    never_says: tuple[tuple[str, ...], ...] = ()
    """Each item: none of these strings may appear."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One validated scenario file."""

    path: Path
    id: str
    title: str
    tags: tuple[str, ...]
    now: datetime
    policy_overrides: dict[str, Any]
    policy: Policy
    """The default policy merged with `policy_overrides`."""
    world: World
    customer: str
    channel: str
    turns: tuple[str, ...]
    goal: str | None
    confirm: ConfirmRule
    approver: ApproverRule
    expect: Expectations
    currency: str
    """The customer's currency (their plan's, else the world's): amounts in `expect` use it."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The YAML document as read (for `purser sandbox load` and re-loading in worker processes)."""
    dunning: DunningPlan | None = None
    """A failing renewal and the customer's days after it (`purser.gym.dunning`); None for a plain chat."""


def as_date(value: datetime | date | None) -> date | None:
    """The UTC date of a time (dates pass through)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


__all__ = [
    "BILLING_FIELDS",
    "CHANNELS",
    "HANDOFF_REASONS",
    "SUBSCRIPTION_FIELDS",
    "WRITE_ACTIONS",
    "ApprovalExpectation",
    "ApproverRule",
    "ConfirmRule",
    "Decision",
    "EmailExpectation",
    "Expectations",
    "RefundExpectation",
    "Scenario",
    "as_date",
]
