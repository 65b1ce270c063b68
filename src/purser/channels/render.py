"""Agent events read as a person would write them, for every channel (DESIGN §9 "Rendering").

A quote's machine keys become labelled facts from one table (`QUOTE_FACTS`): only keys in the table
are shown, so an internal value (a charge id, a plan id, `now_prorated`) never reaches a customer.
Amounts are formatted with their currency ("$20.00", "€6.00"), dates in words ("1 November 2026").
Platform adapters take these facts and lay them out natively (Slack mrkdwn, WhatsApp plain text,
Discord embeds, HTML email).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from purser.agent.events import ActionResult, AgentEvent, AgentMessage, ApprovalPending, ConfirmationRequest, Handoff
from purser.domain.dates import format_date, parse_iso_utc
from purser.money import InvalidAmount, Money

__all__ = [
    "QUOTE_FACTS",
    "Fact",
    "date_text",
    "event_text",
    "money_text",
    "plan_change",
    "quote_facts",
    "reply_choices",
    "without_button_talk",
]

Fact = tuple[str, str]
"""(label, value) as the customer reads it."""

QUOTE_FACTS: tuple[tuple[str, str, str], ...] = (
    # (quote key, label, kind: text | money | date | lines), in the order a card shows them
    ("plan", "Plan", "text"),
    ("seats", "Seats", "text"),
    ("number", "Invoice", "text"),
    ("card", "Card", "text"),
    ("to", "Sent to", "text"),
    ("email", "Invoice email", "text"),
    ("name", "Name", "text"),
    ("address", "Billing address", "text"),
    ("vat_id", "VAT id", "text"),
    ("amount", "Amount", "money"),
    ("total", "Total", "money"),
    ("created", "Issued on", "date"),
    ("charge_amount", "Original charge", "money"),
    ("charge_created", "Charged on", "date"),
    ("lines", "", "lines"),
    ("tax", "Tax", "money"),
    ("amount_due_now", "Due now", "money"),
    ("credit", "Credit", "money"),
    ("next_invoice_amount", "Next invoice", "money"),
    ("effective_at", "Takes effect", "date"),
    ("starts_at", "Pause starts", "date"),
    ("ends_at", "Ends on", "date"),
    ("period_end", "Ends on", "date"),
    ("resumes_at", "Resumes on", "date"),
    ("renews_at", "Renews on", "date"),
    ("next_charge", "Then per period", "money"),
)
"""Which quote keys a customer sees, under which label; everything else stays internal."""


def money_text(amount: object, currency: object) -> str | None:
    """`"20.00", "usd"` → `"$20.00"`; None when either is missing or not an amount."""
    if not isinstance(currency, str) or not isinstance(amount, str | int):
        return None
    try:
        return Money.parse(str(amount), currency).format()
    except (InvalidAmount, ValueError):
        return None


def date_text(value: object) -> str | None:
    """An ISO timestamp → `"1 November 2026"`; None when it is not one."""
    if isinstance(value, datetime):
        return format_date(value.date())
    if not isinstance(value, str):
        return None
    try:
        return format_date(parse_iso_utc(value).date())
    except ValueError:
        return None


def plan_change(quote: Mapping[str, Any]) -> list[Fact]:
    """`Plan: Pro → Business` and `Seats: 3 → 5`, only for what changes."""
    facts: list[Fact] = []
    before, after = quote.get("from_plan"), quote.get("to_plan")
    if isinstance(before, Mapping) and isinstance(after, Mapping) and before.get("name") != after.get("name"):
        facts.append(("Plan", f"{before.get('name')} → {after.get('name')}"))
    old, new = quote.get("from_quantity"), quote.get("to_quantity")
    if isinstance(old, int) and isinstance(new, int) and old != new:
        facts.append(("Seats", f"{old} → {new}"))
    return facts


def quote_facts(quote: Mapping[str, Any]) -> list[Fact]:
    """The customer-facing facts of a quote, in table order (invoice lines where the table has them)."""
    currency = quote.get("currency")
    facts = [] if "plan" in quote or "seats" in quote else plan_change(quote)
    seen: set[str] = set()
    for key, label, kind in QUOTE_FACTS:
        if key not in quote or (label and label in seen):
            continue
        value = quote[key]
        if kind == "lines":
            facts += _line_facts(value, currency)
            continue
        if kind == "money" and key != "amount" and _zero(value, currency):
            continue  # a zero credit or nothing due: left out rather than shown as "$0.00"
        text = _text(value) if kind == "text" else money_text(value, currency) if kind == "money" else date_text(value)
        if text is None:
            continue
        seen.add(label)
        facts.append((label, text))
    return facts


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else None


def _line_facts(lines: object, currency: object) -> list[Fact]:
    facts: list[Fact] = []
    if isinstance(lines, list):
        for line in lines:
            if isinstance(line, Mapping) and isinstance(line.get("description"), str):
                amount = money_text(line.get("amount"), line.get("currency", currency))
                facts.append((str(line["description"]), amount or ""))
    return facts


def _zero(value: object, currency: object) -> bool:
    if not isinstance(currency, str):
        return False
    try:
        return Money.parse(str(value), currency).is_zero
    except (InvalidAmount, ValueError):
        return False


def event_text(event: AgentEvent) -> str:
    """One event as plain text (plain-text channels and notifications); a confirmation lists its facts."""
    if isinstance(event, AgentMessage):
        return event.text
    if isinstance(event, ConfirmationRequest):
        lines = [event.summary]
        lines += [f"{label}: {value}" if value else label for label, value in quote_facts(event.quote)]
        return "\n".join(lines)
    if isinstance(event, ActionResult):
        return event.summary
    if isinstance(event, ApprovalPending):
        return f"{event.summary}\nA teammate is reviewing this; you'll hear back here."
    if isinstance(event, Handoff):
        return "I've passed this to a teammate, who will reply here."
    return ""  # pragma: no cover - the union is closed


# A sentence that points at "the button below" (a model's words for the widget's card), in the five
# languages the agent answers in: a channel without such a button says how to confirm there instead.
_BUTTON_TALK = re.compile(
    r"(?P<lead>[ \t]*)[^.!?\n]*\b(?:buttons? below|schaltfl(?:ä|a)che unten|bouton ci-dessous|"
    r"bot(?:ó|o)n de abajo|bot(?:ã|a)o abaixo)\b[^.!?\n]*[.!?]?",
    re.IGNORECASE,
)


def without_button_talk(text: str, instead: str) -> str:
    """`text` with each sentence about "the button below" replaced by `instead` (once; "" drops it)."""
    said = False

    def swap(match: re.Match[str]) -> str:
        nonlocal said
        if said or not instead:
            return ""
        said = True
        return match.group("lead") + instead

    out = _BUTTON_TALK.sub(swap, text)
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", out)).strip()


def reply_choices(event: AgentEvent) -> list[tuple[str, str]]:
    """A message's quick replies as (label, text sent) pairs; [] for any other event."""
    if isinstance(event, AgentMessage):
        return [(r.label, r.text) for r in event.quick_replies]
    return []
