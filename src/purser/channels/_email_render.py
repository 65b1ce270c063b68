"""The email channel's words on the page: replies (plain text and HTML) and the confirmation pages.

A reply carries a batch of the agent's events as one email: a plain-text body and an HTML
alternative with the same content, every value HTML-escaped, inline styles only (mail clients drop
style sheets and we load nothing from elsewhere). Each event is one block whose class names its kind
(`purser-message`, `purser-confirmation`, ...), so the HTML reads well and stays machine-readable
for the gym's email driver. A confirmation request shows its summary, the quote's facts (amounts and
dates as a person writes them: `render.quote_facts`) and one signed link to the confirmation page.
A message's quick replies become one line under it (`purser-replies`): "Reply with one of: “…”; “…”"
— an email answer is free text, so the customer writes (or copies) one of them.

The confirmation page (`GET confirm/<token>`) repeats the quote with Confirm and Cancel buttons in a
POST form; the POST answers with a short "thank you" page. Pages are self-contained HTML (no
scripts, no external assets) sent with a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from purser.agent.events import ActionResult, AgentEvent, AgentMessage, ApprovalPending, ConfirmationRequest, Handoff
from purser.channels.render import Fact, event_text, quote_facts

__all__ = ["PAGE_HEADERS", "ReplyBody", "done_page", "error_page", "reply_body", "reply_line", "review_page"]

PAGE_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    # The token is in the URL: never keep the page in a cache. (The web layer adds
    # `Referrer-Policy: no-referrer` and `X-Content-Type-Options: nosniff` to every answer.)
    "Cache-Control": "no-store",
}
"""Security headers of every confirmation page."""

_BLOCK = 'style="margin:0 0 16px 0;white-space:pre-wrap"'
_TABLE = 'style="border-collapse:collapse;margin:8px 0"'
_CELL = 'style="padding:2px 12px 2px 0;vertical-align:top"'
_BUTTON = (
    'style="display:inline-block;padding:10px 18px;border-radius:6px;background:#1a56db;color:#ffffff;'
    'text-decoration:none;font-weight:600"'
)


@dataclass(frozen=True, slots=True)
class ReplyBody:
    """One reply's plain text and its HTML alternative."""

    text: str
    html: str


def _facts_text(facts: Sequence[Fact]) -> list[str]:
    return [f"{label}: {value}" if value else label for label, value in facts]


def _facts_html(facts: Sequence[Fact]) -> str:
    if not facts:
        return ""
    rows = "".join(
        f"<tr><td {_CELL}>{escape(label)}</td><td {_CELL}><strong>{escape(value)}</strong></td></tr>"
        for label, value in facts
    )
    return f'<table class="purser-facts" {_TABLE}>{rows}</table>'


def reply_body(events: Sequence[AgentEvent], links: Mapping[str, str], *, ttl_hours: int) -> ReplyBody | None:
    """The email for a batch of events (`links`: action id → its confirmation page); None when empty."""
    texts: list[str] = []
    blocks: list[str] = []
    for event in events:
        if isinstance(event, ConfirmationRequest):
            facts = quote_facts(event.quote)
            url = links.get(event.action_id, "")
            texts.append(
                "\n".join(
                    [
                        event.summary,
                        *_facts_text(facts),
                        "",
                        f"To confirm or cancel, open: {url}",
                        f"The link works once and expires in {ttl_hours} hours.",
                    ]
                )
            )
            blocks.append(
                f'<div class="purser-confirmation" style="margin:0 0 16px 0">'
                f'<p class="purser-summary" style="margin:0 0 8px 0">{escape(event.summary)}</p>'
                f"{_facts_html(facts)}"
                f'<p style="margin:12px 0"><a class="purser-review" href="{escape(url, quote=True)}" {_BUTTON}>'
                f"Review and confirm</a></p>"
                f'<p style="margin:0;color:#555555;font-size:13px">The link works once and expires in '
                f"{ttl_hours} hours. Nothing changes until you press Confirm on that page.</p></div>"
            )
            continue
        text = event_text(event)
        if not text:
            continue
        texts.append(text)
        blocks.append(f'<div class="purser-{_kind(event)}" {_BLOCK}>{escape(text)}</div>')
        if isinstance(event, AgentMessage) and event.quick_replies:
            line = reply_line(event)
            texts.append(line)
            blocks.append(f'<div class="purser-replies" {_BLOCK}>{escape(line)}</div>')
    if not texts:
        return None
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;'
        f'line-height:1.5;color:#111111">{"".join(blocks)}</body></html>'
    )
    return ReplyBody("\n\n".join(texts) + "\n", html)


def reply_line(event: AgentMessage) -> str:
    """A message's quick replies as the line an email shows under it."""
    return "Reply with one of: " + "; ".join(f"“{r.text}”" for r in event.quick_replies)


def _kind(event: AgentEvent) -> str:
    if isinstance(event, AgentMessage):
        return "message"
    if isinstance(event, ActionResult):
        return "result"
    if isinstance(event, ApprovalPending):
        return "pending"
    if isinstance(event, Handoff):
        return "handoff"
    return "message"  # pragma: no cover - confirmations are laid out above


def _page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:560px;'
        f'margin:40px auto;padding:0 16px;line-height:1.5;color:#111111">{body}</body></html>'
    ).encode()


def review_page(summary: str, facts: Sequence[Fact]) -> bytes:
    """The confirmation page: the quote, then Confirm and Cancel (a POST form; the token is the URL)."""
    buttons = (
        '<form method="post" style="margin-top:24px">'
        f'<button type="submit" name="decision" value="yes" {_BUTTON.replace("display:inline-block;", "")}>'
        "Confirm</button> "
        '<button type="submit" name="decision" value="no" style="padding:10px 18px;border-radius:6px;'
        'border:1px solid #999999;background:#ffffff;color:#111111">Cancel</button></form>'
    )
    body = (
        '<h1 style="font-size:22px">Please confirm</h1>'
        f'<p class="purser-summary">{escape(summary)}</p>{_facts_html(facts)}'
        '<p style="color:#555555;font-size:14px">Confirm to go ahead exactly as quoted, or cancel to drop it. '
        "This page works once.</p>"
        f"{buttons}"
    )
    return _page("Please confirm", body)


def done_page(decision: str) -> bytes:
    """The answer to a pressed button."""
    if decision == "yes":
        title, words = "Thank you", "Thank you, we're on it. We'll email you the result in a moment."
    else:
        title, words = "Cancelled", "Done: nothing will change. We'll email you to confirm."
    return _page(title, f'<h1 style="font-size:22px">{escape(title)}</h1><p>{escape(words)}</p>')


def error_page(title: str, words: str) -> bytes:
    """A refused link (expired, used, not ours): says what happened, does nothing."""
    return _page(title, f'<h1 style="font-size:22px">{escape(title)}</h1><p>{escape(words)}</p>')
