"""Gateway outcomes → §7 events, and the routing signals a turn carries.

| outcome status        | event                                   |
|-----------------------|-----------------------------------------|
| needs_confirmation    | confirmation_request                    |
| pending_approval      | approval_pending                        |
| succeeded (writes)    | action_result succeeded                 |
| failed                | action_result failed                    |
| refused, denied       | action_result refused                   |
| refused with an `INFORMATION` reason | message (the save offer, "already …") |
| escalated             | handoff (once per turn)                 |
| succeeded (reads), invalid, declined | nothing (the model's message covers them) |

A confirmation request carries `customer_quote(quote)`: only the keys of `render.QUOTE_FACTS`, so ids
and enum values stay on the server. `one_reply` is the one place that makes a turn say each thing once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from purser.actions.outcome import Outcome
from purser.agent.events import (
    ActionResult,
    AgentEvent,
    AgentMessage,
    ApprovalPending,
    ConfirmationRequest,
    Handoff,
)
from purser.channels.render import QUOTE_FACTS
from purser.money import InvalidAmount, Money

__all__ = [
    "INFORMATION",
    "SortedEvents",
    "customer_quote",
    "customer_tier",
    "handoff_event",
    "one_reply",
    "outcome_events",
    "quote_amounts",
]

INFORMATION = frozenset(
    {"save_offer", "already_canceled", "already_paused", "not_paused", "no_change", "nothing_due", "already_refunded"}
)
"""Refusal reasons that tell the customer how things stand rather than that something failed."""


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
                action_id=outcome.action_id,
                action=outcome.action,
                summary=outcome.summary,
                quote=customer_quote(outcome.quote or {}),
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
        if status == "refused" and outcome.reason in INFORMATION:
            return [AgentMessage(text=outcome.summary)]
        return [ActionResult(action_id=outcome.action_id, status="refused", summary=outcome.summary)]
    return []


def one_reply(
    results: list[AgentEvent], message: AgentMessage | None, asks: list[AgentEvent], handoff: Handoff | None
) -> list[AgentEvent]:
    """A turn's events in order, each thing said once.

    The events say it first: the model's message drops every sentence a result, an information message,
    an approval or a confirmation already says (and its announcement of a handoff the turn carries),
    and any sentence it says twice; a message with nothing left is dropped.
    """
    events: list[AgentEvent] = []
    said: list[str] = []
    for event in results:
        text = event.text if isinstance(event, AgentMessage) else getattr(event, "summary", "")
        if isinstance(event, AgentMessage) and _norm(text) in said:
            continue  # the same information twice (two outcomes of one turn)
        said.append(_norm(text))
        events.append(event)
    said += [_norm(getattr(ask, "summary", "")) for ask in asks]
    if message is not None:
        text = _unsaid(message.text, said, announce_handoff=handoff is None)
        if text:
            events.append(message if text == message.text else message.model_copy(update={"text": text}))
    events.extend(asks)
    if handoff is not None:
        events.append(handoff)
    return events


_SPLIT = re.compile(r"((?<=[.!?)])\s+|\n+)")
_HANDOFF_ANNOUNCEMENT = re.compile(
    r"i(?:'|’)?ve (?:passed|handed) (?:this|it|you|your \w+)(?: over| on)? to (?:a|our|the) (?:teammate|team|person)",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return re.sub(r"[^\w$€£¥%]+", " ", text.lower()).strip()


def _unsaid(text: str, said: list[str], *, announce_handoff: bool) -> str:
    """`text` without the sentences already said (by the events or earlier in itself)."""
    parts = _SPLIT.split(text)
    kept: list[str] = []
    seen: set[str] = set()
    for i in range(0, len(parts), 2):
        sentence, gap = parts[i], parts[i + 1] if i + 1 < len(parts) else ""
        norm = _norm(sentence)
        if not norm:
            if kept and gap.count("\n") > kept[-1].count("\n"):
                kept[-1] = gap
            continue
        repeated = norm in seen or norm in said or (len(norm.split()) >= 3 and any(norm in s for s in said))
        if repeated or (not announce_handoff and _HANDOFF_ANNOUNCEMENT.search(sentence)):
            continue
        seen.add(norm)
        kept += [sentence, gap]
    return "".join(kept).strip()


def customer_quote(quote: Mapping[str, Any]) -> dict[str, Any]:
    """A quote in customer terms: the keys of `QUOTE_FACTS` only, a plan or seat change as "A → B",
    the invoice lines with a tax line when they do not add up to what is due now."""
    flat: dict[str, Any] = dict(quote)
    changes = quote.get("changes")
    if isinstance(changes, Mapping):
        flat.update(changes)
    address = flat.get("address")
    if isinstance(address, Mapping):
        flat["address"] = ", ".join(str(v) for v in address.values() if v)
    before, after = quote.get("from_plan"), quote.get("to_plan")
    if isinstance(before, Mapping) and isinstance(after, Mapping) and before.get("name") != after.get("name"):
        flat["plan"] = f"{before.get('name')} → {after.get('name')}"
    old, new = quote.get("from_quantity"), quote.get("to_quantity")
    if isinstance(old, int) and isinstance(new, int) and old != new:
        flat["seats"] = f"{old} → {new}"
    currency = quote.get("currency")
    safe: dict[str, Any] = {"currency": currency} if isinstance(currency, str) else {}
    lines = _lines(quote.get("lines"))
    if lines and isinstance(currency, str):
        safe["lines"] = lines
        tax = _tax(lines, flat.get("amount_due_now"), currency)
        if tax is not None:
            flat["tax"] = tax
    for key, _label, kind in QUOTE_FACTS:
        value = flat.get(key)
        if kind == "lines" or value is None or isinstance(value, bool | Mapping | list):
            continue
        if key == "plan" and "→" not in str(value):
            continue  # a bare plan id (a cancellation's, a resume's) is internal; a change reads "A → B"
        safe[key] = value
    return safe


def _lines(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        {"description": str(line["description"]), "amount": str(line["amount"])}
        for line in value
        if isinstance(line, Mapping) and isinstance(line.get("description"), str) and "amount" in line
    ]


def _tax(lines: list[dict[str, str]], due: object, currency: str) -> str | None:
    """What is due now beyond the sum of the lines (the tax the processor added), when positive."""
    try:
        total = Money.zero(currency)
        for line in lines:
            total = total + Money.parse(line["amount"], currency)
        gap = Money.parse(str(due), currency) - total
    except (InvalidAmount, ValueError):
        return None
    return gap.amount_str() if gap.minor > 0 and total.minor > 0 else None


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
