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

Quick replies (`message.quick_replies`, docs/REPLIES.md) are derived here, never by a client: the save
offer carries "Pause instead" / "Cancel anyway", and a reply that lists options as "- " lines and then
asks which one carries one reply per option (the option's own words, so any model reads it back). They
ride on the turn's last message, with labels in the customer's language (en, de, fr, es, pt).

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
    QuickReply,
)
from purser.channels.render import QUOTE_FACTS
from purser.models.offline.languages import fold, language_of
from purser.money import InvalidAmount, Money

__all__ = [
    "INFORMATION",
    "SortedEvents",
    "customer_quote",
    "customer_tier",
    "handoff_event",
    "one_reply",
    "outcome_events",
    "quick_replies",
    "quote_amounts",
    "save_offer_replies",
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
            replies = save_offer_replies("en") if outcome.reason == "save_offer" else []
            return [AgentMessage(text=outcome.summary, quick_replies=replies)]
        return [ActionResult(action_id=outcome.action_id, status="refused", summary=outcome.summary)]
    return []


def one_reply(
    results: list[AgentEvent],
    message: AgentMessage | None,
    asks: list[AgentEvent],
    handoff: Handoff | None,
    *,
    language: str | None = None,
) -> list[AgentEvent]:
    """A turn's events in order, each thing said once, the turn's quick replies on its last message.

    The events say it first: the model's message drops every sentence a result, an information message,
    an approval or a confirmation already says (and its announcement of a handoff the turn carries),
    and any sentence it says twice; a message with nothing left is dropped. `language` (the customer's:
    en, de, fr, es, pt) picks the quick replies' words; when None it is read from the model's message.
    """
    events = _one_reply(results, message, asks, handoff)
    if language is None:
        language = language_of(fold(message.text)) if message is not None else "en"
    return _with_quick_replies(events, results, message, language)


def _one_reply(
    results: list[AgentEvent], message: AgentMessage | None, asks: list[AgentEvent], handoff: Handoff | None
) -> list[AgentEvent]:
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


# -- quick replies ---------------------------------------------------------------------------------
# Labels fit every channel's limit (a WhatsApp reply button's title holds 20 characters).
_SAVE_OFFER: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # language: ((pause label, message sent), (cancel label, message sent)); each message is one the
    # offline model reads as the answer to its offer (tests/agent/test_quick_replies.py).
    "en": (("Pause instead", "Pause my subscription instead"), ("Cancel anyway", "Cancel anyway")),
    "de": (("Lieber pausieren", "Ich möchte mein Abo lieber pausieren"),
           ("Trotzdem kündigen", "Bitte trotzdem kündigen")),
    "fr": (("Mettre en pause", "Je préfère mettre mon abonnement en pause"),
           ("Résilier quand même", "Résiliez quand même")),
    "es": (("Mejor pausar", "Prefiero pausar mi suscripción"), ("Cancelar igualmente", "Cancélela de todos modos")),
    "pt": (("Prefiro pausar", "Prefiro pausar a minha assinatura"), ("Cancelar mesmo assim", "Cancele mesmo assim")),
}  # fmt: skip
_OPTION = re.compile(r"^[ \t]*[-•*][ \t]+(.+?)[ \t]*$", re.MULTILINE)
_WHICH = re.compile(
    r"\b(which|welche[nrs]?|quel(?:le)?s?|lequel|laquelle|cu[aá]l(?:es)?|qua(?:l|is))\b[^?]*\?", re.IGNORECASE
)
MAX_OPTIONS = 10
"""At most this many options become quick replies (WhatsApp's list and Discord's rows hold 10)."""


def save_offer_replies(language: str) -> list[QuickReply]:
    """The save offer's answers in `language` (English for any other): Pause instead, Cancel anyway."""
    pause, cancel = _SAVE_OFFER.get(language, _SAVE_OFFER["en"])
    return [QuickReply(label=pause[0], text=pause[1]), QuickReply(label=cancel[0], text=cancel[1])]


def quick_replies(text: str) -> list[QuickReply]:
    """One quick reply per option a message lists as "- " lines and then asks which one of.

    Only a list followed by a which-question (in any of the five languages) counts, so a plain bulleted
    answer gets no buttons; 2 to `MAX_OPTIONS` options (fewer is no choice, more is not offered).
    """
    matches = list(_OPTION.finditer(text))
    if not 2 <= len(matches) <= MAX_OPTIONS or not _WHICH.search(text, matches[-1].end()):
        return []
    replies: list[QuickReply] = []
    for match in matches:
        option = match.group(1).strip()
        if option and len(option) <= 200 and all(r.text != option for r in replies):
            label = option if len(option) <= 80 else option[:79].rstrip() + "…"
            replies.append(QuickReply(label=label, text=option))
    return replies if len(replies) >= 2 else []


def _with_quick_replies(
    events: list[AgentEvent], results: list[AgentEvent], message: AgentMessage | None, language: str
) -> list[AgentEvent]:
    """`events` with the turn's quick replies on its last message (localized); unchanged when there are none."""
    replies: list[QuickReply] = []
    for event in results:
        if isinstance(event, AgentMessage) and event.quick_replies:
            replies = save_offer_replies(language)  # the only outcome that carries replies today
    if message is not None:
        replies += quick_replies(message.text)
    last = max((i for i, e in enumerate(events) if isinstance(e, AgentMessage)), default=None)
    cleared = [
        e.model_copy(update={"quick_replies": []}) if isinstance(e, AgentMessage) and e.quick_replies else e
        for e in events
    ]
    if last is None or not replies:
        return cleared
    target = cleared[last]
    assert isinstance(target, AgentMessage)
    cleared[last] = target.model_copy(update={"quick_replies": replies[:MAX_OPTIONS]})
    return cleared


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
