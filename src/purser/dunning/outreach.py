"""What the customer reads: the dunning outreach and the written confirmation of a recovery.

Every outreach names the amount, the card (brand and last4), the reason in plain words and carries
the signed `/pay/{token}` link. The text is a pure function of the case, the step and the link, so
a re-run after a crash produces the same message (and the same idempotency request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from purser.dunning.cases import DunningCase
from purser.dunning.reasons import rule_for

__all__ = ["Message", "case_summary", "outreach", "recovered"]


@dataclass(frozen=True, slots=True)
class Message:
    """An email (or channel message) ready to send."""

    subject: str
    text: str
    html: str


def _day(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


def case_summary(case: DunningCase) -> str:
    """One sentence for a conversation that already knows the case:
    "your Visa ending 4242 was declined on 1 December 2026 for $50.00 (the card has insufficient funds)"."""
    return (
        f"your {case.card} was declined on {_day(case.opened_at)} for {case.amount.format()} "
        f"({rule_for(case.decline_reason).plain})"
    )


def outreach(case: DunningCase, *, link_url: str, step: int, next_retry: datetime | None) -> Message:
    """The outreach of step `step` (0 is the first): what failed, why, and the link to fix it."""
    amount = case.amount.format()
    reason = rule_for(case.decline_reason).plain
    subject = (
        f"Your payment of {amount} did not go through"
        if step == 0
        else f"Reminder: your payment of {amount} is still due"
    )
    lines = [
        "Hello,",
        "",
        f"We could not collect {amount} on your {case.card}: {reason}.",
        f"You can add a new card here (the link works once and expires): {link_url}",
    ]
    if next_retry is not None:
        lines.append(f"We will also try the card on file again on {_day(next_retry)}.")
    lines += ["", "Reply to this message if you have a question; we are happy to help."]
    text = "\n".join(lines)
    html = (
        f"<p>Hello,</p><p>We could not collect <strong>{escape(amount)}</strong> on your {escape(case.card)}: "
        f"{escape(reason)}.</p>"
        f'<p><a href="{escape(link_url, quote=True)}">Add a new card</a> (the link works once and expires).</p>'
        + (f"<p>We will also try the card on file again on {escape(_day(next_retry))}.</p>" if next_retry else "")
        + "<p>Reply to this message if you have a question; we are happy to help.</p>"
    )
    return Message(subject, text, html)


def recovered(case: DunningCase, *, card: str, paid_at: datetime) -> Message:
    """The written confirmation that the invoice is paid."""
    amount = case.amount.format()
    subject = f"Payment received: {amount}"
    text = (
        f"Hello,\n\nThank you: {amount} was paid on {_day(paid_at)} with your {card}. "
        "Your subscription continues as before; nothing else is needed from you."
    )
    html = (
        f"<p>Hello,</p><p>Thank you: <strong>{escape(amount)}</strong> was paid on {escape(_day(paid_at))} "
        f"with your {escape(card)}. Your subscription continues as before; nothing else is needed from you.</p>"
    )
    return Message(subject, text, html)
