"""The gateway's value types: `Scope`, `Outcome`, and `ApprovalRequest` (defined with its port) (docs/CONTRACTS.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from purser.audit.log import canonical_json
from purser.domain import CustomerId
from purser.ports.actions import ApprovalRequest

OutcomeStatus = Literal[
    "succeeded",
    "failed",
    "refused",
    "invalid",
    "needs_confirmation",
    "pending_approval",
    "declined",
    "denied",
    "escalated",
]


@dataclass(frozen=True)
class Scope:
    """Who is acting, in which conversation."""

    conversation_id: str
    """The conversation."""
    customer_id: CustomerId
    """The verified customer; tools never take a customer id."""
    channel: str
    """web, slack, email, gym..."""
    actor: str
    """Model name ("offline", "gpt-4o-mini", ...)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one proposed action."""

    action_id: str
    """Stable id of this proposed action ("act_<hash>")."""
    action: str
    """Catalog name."""
    status: OutcomeStatus
    """See `OutcomeStatus`."""
    summary: str
    """Customer-facing sentence."""
    quote: dict[str, Any] | None = None
    """Amounts (decimal strings + currency) and dates, for writes."""
    result: dict[str, Any] | None = None
    """Executor output for reads and executed writes; for escalations {"handoff": {"reason", "summary"}}."""
    reason: str | None = None
    """Machine code: window, per_refund_max, count, daily_budget, disputed, not_yours, disabled, ..."""
    handoff_reason: str | None = None
    """Set when status == "escalated"."""
    approval_id: str | None = None
    """Set when status == "pending_approval"."""

    def to_tool_result(self) -> dict[str, Any]:
        """The JSON the model sees."""
        return {
            "action_id": self.action_id,
            "action": self.action,
            "status": self.status,
            "summary": self.summary,
            "quote": self.quote,
            "result": self.result,
            "reason": self.reason,
            "handoff_reason": self.handoff_reason,
            "approval_id": self.approval_id,
        }

    @property
    def handoff_summary(self) -> str | None:
        """The summary for the human, when the outcome is an escalation."""
        handoff = (self.result or {}).get("handoff")
        return str(handoff["summary"]) if isinstance(handoff, dict) and "summary" in handoff else None


def quote_hash(quote: dict[str, Any] | None) -> str | None:
    """sha256 of the quote's canonical JSON (what the customer's "yes" binds to)."""
    return None if quote is None else hashlib.sha256(canonical_json(quote).encode()).hexdigest()


def short_hash(*parts: str) -> str:
    """A 24-hex-digit hash of the parts."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


__all__ = ["ApprovalRequest", "Outcome", "OutcomeStatus", "Scope", "quote_hash", "short_hash"]
