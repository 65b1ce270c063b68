"""Gateway outcomes → §7 events, and the routing signals a turn carries.

| outcome status        | event                                   |
|-----------------------|-----------------------------------------|
| needs_confirmation    | confirmation_request                    |
| pending_approval      | approval_pending                        |
| succeeded (writes)    | action_result succeeded                 |
| failed                | action_result failed                    |
| refused, denied       | action_result refused                   |
| escalated             | handoff (once per turn)                 |
| succeeded (reads), invalid, declined | nothing (the model's message covers them) |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from purser.actions.outcome import Outcome
from purser.agent.events import (
    ActionResult,
    AgentEvent,
    ApprovalPending,
    ConfirmationRequest,
    Handoff,
)

__all__ = ["SortedEvents", "customer_tier", "handoff_event", "outcome_events", "quote_amounts"]


@dataclass
class SortedEvents:
    """Events of a turn in the order the customer should see them: what happened, the message, what is asked."""

    results: list[AgentEvent] = field(default_factory=list)  # action_result, approval_pending
    asks: list[AgentEvent] = field(default_factory=list)  # confirmation_request
    seen_confirmations: set[str] = field(default_factory=set)

    def add(self, events: Iterable[AgentEvent]) -> None:
        """Sort events into results and asks (one confirmation request per action)."""
        for event in events:
            if isinstance(event, ConfirmationRequest):
                if event.action_id in self.seen_confirmations:
                    continue
                self.seen_confirmations.add(event.action_id)
                self.asks.append(event)
            else:
                self.results.append(event)


def outcome_events(outcome: Outcome, kind: str | None) -> list[AgentEvent]:
    """The events one outcome produces (handoffs are emitted separately, once per turn)."""
    status = outcome.status
    if status == "needs_confirmation":
        return [
            ConfirmationRequest(
                action_id=outcome.action_id, action=outcome.action, summary=outcome.summary, quote=outcome.quote or {}
            )
        ]
    if status == "pending_approval":
        return [ApprovalPending(action_id=outcome.action_id, summary=outcome.summary)]
    if status == "succeeded":
        if kind in ("read", None):
            return []
        return [ActionResult(action_id=outcome.action_id, status="succeeded", summary=outcome.summary)]
    if status == "failed":
        return [ActionResult(action_id=outcome.action_id, status="failed", summary=outcome.summary)]
    if status in ("refused", "denied"):
        if not outcome.action_id:
            return []
        return [ActionResult(action_id=outcome.action_id, status="refused", summary=outcome.summary)]
    return []


def handoff_event(outcome: Outcome) -> Handoff:
    """The handoff event of an escalation (the human's summary when the gateway built one)."""
    return Handoff(
        reason=outcome.handoff_reason or outcome.reason or "out_of_scope",
        summary=outcome.handoff_summary or outcome.summary,
    )


def quote_amounts(value: Any) -> list[Decimal]:
    """Every amount-like decimal string in a quote (keys containing amount, total, refund, credit)."""
    found: list[Decimal] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                found.extend(quote_amounts(item))
            elif isinstance(item, str) and any(w in key for w in ("amount", "total", "refund", "credit", "due")):
                try:
                    found.append(abs(Decimal(item)))
                except InvalidOperation:
                    continue
    elif isinstance(value, list):
        for item in value:
            found.extend(quote_amounts(item))
    return found


def customer_tier(account: dict[str, Any] | None, strong_tiers: Iterable[str]) -> str | None:
    """The customer's tier: a strong tier named in their plan's id or name, else the plan id."""
    if not account:
        return None
    sub = account.get("subscription") or {}
    plan = sub.get("plan") or {}
    text = f"{plan.get('id', '')} {plan.get('name', '')}".lower()
    for tier in strong_tiers:
        if tier.lower() in text:
            return tier
    plan_id = plan.get("id")
    return str(plan_id) if plan_id else None
