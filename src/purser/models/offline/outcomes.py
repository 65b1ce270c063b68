"""Customer-facing texts for gateway outcomes, quotes and confirmation prompts.

The gateway's `summary` is the customer-facing sentence of every outcome and is
always relayed; this module adds what a support agent would say around it
("please confirm", "a teammate is reviewing it") and reads amounts back from
the quote or result with the currency's own symbol and decimals.
"""

from __future__ import annotations

import re
from typing import Any

from purser.models.offline.account import fmt_date, fmt_money

__all__ = ["CARD_FIX", "confirm_prompt", "describe_amounts", "outcome_text"]

CARD_FIX = "To fix it, I can send you a secure link to update your card — just say “send me the link”."
"""What follows a payment the card refused: the way to fix it, not only the failure."""
_NOT_THE_CARD = frozenset({"unavailable", "processor_unavailable", "not_open", "nothing_due"})

_LABELS: dict[str, str] = {
    "amount_due": "due now",
    "amount_due_now": "due now",
    "due_now": "due now",
    "charge_now": "charged now",
    "charged": "charged",
    "amount_charged": "charged",
    "total": "total",
    "invoice_total": "invoice total",
    "refund": "refund",
    "refund_amount": "refund",
    "credit": "credit",
    "next_invoice_amount": "next invoice",
    "new_amount": "new price",
}


def _walk(value: Any, currency: str | None, out: list[tuple[str, str]], key: str = "") -> None:
    if isinstance(value, dict):
        cur = value.get("currency") if isinstance(value.get("currency"), str) else currency
        if set(value) >= {"amount", "currency"} and isinstance(value.get("amount"), str) and key in _LABELS:
            out.append((key, fmt_money(value["amount"], value["currency"])))
            return
        for k, v in value.items():
            _walk(v, cur, out, str(k))
    elif isinstance(value, str) and key in _LABELS and currency and re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        out.append((key, fmt_money(value, currency)))


def describe_amounts(*parts: dict[str, Any] | None) -> list[str]:
    """ "due now: $15.00"-style phrases for the amounts in quotes/results (known keys only)."""
    found: list[tuple[str, str]] = []
    for part in parts:
        if part:
            _walk(part, None, found)
    seen: set[str] = set()
    phrases: list[str] = []
    for key, money in found:
        if re.fullmatch(r"\D*0(?:[.,]0+)?\D*", money):
            continue
        label = _LABELS.get(key, key.replace("_", " "))
        phrase = f"{label}: {money}"
        if phrase not in seen:
            seen.add(phrase)
            phrases.append(phrase)
    return phrases


def _with_amounts(summary: str, *parts: dict[str, Any] | None) -> str:
    phrases = [p for p in describe_amounts(*parts) if p.split(": ", 1)[1] not in summary]
    if phrases:
        return f"{summary} ({'; '.join(phrases)})" if summary else "; ".join(phrases).capitalize() + "."
    return summary


def confirm_prompt(outcome: dict[str, Any]) -> str:
    """The text that goes with a `needs_confirmation` outcome (the runtime shows the button)."""
    summary = str(outcome.get("summary") or "").strip()
    body = _with_amounts(summary, outcome.get("quote"))
    return f"{body}\n\nPlease confirm with the button below if you'd like me to go ahead.".strip()


def outcome_text(outcome: dict[str, Any], action: str = "") -> str:
    """What to tell the customer about an outcome, by status."""
    status = str(outcome.get("status") or "")
    summary = str(outcome.get("summary") or "").strip()
    action = action or str(outcome.get("action") or "")
    if status == "succeeded":
        text = _with_amounts(summary, outcome.get("result"))
        url = _find_url(outcome.get("result"))
        if url and url not in text:
            text += f" Here is your secure link: {url}"
        return text or "Done."
    if status == "declined":
        return "Okay, I haven't made that change."  # the gateway's "nothing was changed" says the same
    if status == "pending_approval":
        if "teammate" in summary.lower():
            return summary
        return (summary + " " if summary else "") + "A teammate is reviewing this request; you'll hear back here."
    if status == "denied":
        return summary or "A teammate reviewed the request and couldn't approve it."
    if status == "failed":
        text = summary or "That didn't go through."
        text += "" if text.endswith((".", "!", "?")) else "."
        if action == "retry_payment" and outcome.get("reason") not in _NOT_THE_CARD:
            text += f" {CARD_FIX}"
        return text
    if status == "escalated":
        return (summary + " " if summary else "") + "I've passed this to a teammate, who will follow up here."
    if status in ("refused", "invalid"):
        return summary or "I'm not able to do that."
    return summary


def _find_url(value: Any) -> str | None:
    if isinstance(value, dict):
        for v in value.values():
            found = _find_url(v)
            if found:
                return found
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    return None


def date_phrase(value: Any) -> str:
    """A readable date for an ISO time (re-exported for handlers)."""
    return fmt_date(value)
