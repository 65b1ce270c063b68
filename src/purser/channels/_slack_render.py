"""The agent's events as Slack messages: mrkdwn text, Block Kit cards, and the team desk's posts.

Customer side (DMs and Slack Connect channels):
    message               mrkdwn text (Markdown's **bold**, [links](url), # headings converted),
                          its sources in a context block, its quick replies as an actions block of
                          buttons (`purser.reply.<n>`) whose value carries the text a press sends
                          and the Slack user they are for
    confirmation_request  a card: the summary, the quote's facts as section fields, Confirm (primary)
                          and Cancel buttons whose hidden `value` carries the action id, the action's
                          name and the Slack user the card is for
    action_result, approval_pending, handoff   one short line each (`render.event_text`)
Every post carries Slack message metadata naming the event type (`purser_<type>`, plus an action
result's status), so a program reading the channel (the gym's driver) need not guess from wording;
it holds no ids. Once a card is answered it is updated in place (`confirmation_answered_post`):
the buttons replaced by what the customer chose and what came of it.
Team side: a handoff post (customer, channel, reason, summary) and an approval
request with Approve (primary) / Deny (danger) buttons whose value is the approval id; once decided,
the request is updated in place to say who decided and what happened.

Block Kit limits respected here: section text ≤ 3000 characters, ≤ 10 fields a section (each
≤ 2000), button values ≤ 2000, plain-text button labels ≤ 75.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from purser.agent.events import ActionResult, AgentEvent, AgentMessage, ApprovalPending, ConfirmationRequest, Handoff
from purser.channels.base import ChannelError
from purser.channels.render import event_text, quote_facts

__all__ = [
    "APPROVE",
    "CANCEL",
    "CONFIRM",
    "DENY",
    "REPLY",
    "CardValue",
    "ReplyValue",
    "SlackPost",
    "approval_decided_post",
    "approval_post",
    "card_value",
    "confirmation_answered_post",
    "escape",
    "event_post",
    "handoff_post",
    "mrkdwn",
    "parse_card_value",
    "parse_reply_value",
    "reply_value",
    "text_post",
    "unescape",
]

CONFIRM = "purser.confirm"
CANCEL = "purser.cancel"
APPROVE = "purser.approve"
DENY = "purser.deny"
REPLY = "purser.reply"
"""Block Kit `action_id`s of Purser's buttons (what an interaction payload names); a quick reply's is
`purser.reply.<n>` (unique within its block)."""

SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
FIELDS_PER_SECTION = 10
VALUE_MAX = 2000
BUTTON_LABEL_MAX = 75

_STATUS_ICON = {"succeeded": ":white_check_mark:", "failed": ":warning:", "refused": ":no_entry:"}


@dataclass(frozen=True, slots=True)
class SlackPost:
    """One `chat.postMessage`: the fallback/notification text, Block Kit blocks and metadata."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CardValue:
    """What a confirmation card's buttons carry: which action, its name, and whose card it is."""

    action_id: str
    action: str
    user: str


@dataclass(frozen=True, slots=True)
class ReplyValue:
    """What a quick-reply button carries: the text a press sends, and whose message it is."""

    text: str
    user: str


def escape(text: str) -> str:
    """Slack's three control characters escaped (`&`, `<`, `>`), so text is never read as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's escapes undone (what a user typed, as Slack sends it in events)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_STRIKE = re.compile(r"~~(.+?)~~")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*]\s+", re.MULTILINE)


def mrkdwn(markdown: str) -> str:
    """The agent's Markdown as Slack mrkdwn: escaped first, then bold, strike, links, headings, bullets."""
    text = escape(markdown)
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _HEADING.sub(r"*\1*", text)
    return _BULLET.sub(r"\1• ", text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_TEXT_MAX)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, SECTION_TEXT_MAX)}]}


def _fields(facts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Label/value facts as section fields, ten to a section (Block Kit's limit)."""
    cells = [
        {"type": "mrkdwn", "text": _clip(f"*{escape(label)}*\n{escape(value)}" if value else escape(label), FIELD_MAX)}
        for label, value in facts
    ]
    return [
        {"type": "section", "fields": cells[i : i + FIELDS_PER_SECTION]}
        for i in range(0, len(cells), FIELDS_PER_SECTION)
    ]


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": _clip(label, BUTTON_LABEL_MAX)},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        button["style"] = style
    return button


def _metadata(event_type: str, **payload: str) -> dict[str, Any]:
    return {"event_type": f"purser_{event_type}", "event_payload": payload}


def card_value(action_id: str, action: str, user: str) -> str:
    """The hidden button value of a confirmation card (compact JSON; Slack returns it untouched)."""
    value = json.dumps({"id": action_id, "action": action, "user": user}, separators=(",", ":"))
    if len(value) > VALUE_MAX:
        raise ValueError("confirmation button value is longer than Slack allows")
    return value


def parse_card_value(value: object) -> CardValue:
    """A confirmation button's value read back; `ChannelError` when it is not one of ours."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) and data[k] for k in ("id", "action", "user")
    ):
        raise ChannelError("the button's value is not a Purser confirmation")
    return CardValue(action_id=data["id"], action=data["action"], user=data["user"])


def reply_value(text: str, user: str) -> str:
    """The hidden value of a quick-reply button (compact JSON; Slack returns it untouched)."""
    value = json.dumps({"reply": text, "user": user}, separators=(",", ":"), ensure_ascii=False)
    if len(value) > VALUE_MAX:
        raise ValueError("quick reply button value is longer than Slack allows")
    return value


def parse_reply_value(value: object) -> ReplyValue:
    """A quick-reply button's value read back; `ChannelError` when it is not one of ours."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k] for k in ("reply", "user")):
        raise ChannelError("the button's value is not a Purser quick reply")
    return ReplyValue(text=data["reply"], user=data["user"])


def text_post(text: str) -> SlackPost:
    """A plain service message (link codes, knowledge-base answers, dunning)."""
    return SlackPost(text=mrkdwn(text), metadata=_metadata("message"))


def event_post(event: AgentEvent, *, user: str) -> SlackPost:
    """One agent event as a Slack message for the customer `user`."""
    if isinstance(event, AgentMessage):
        text = mrkdwn(event.text)
        if not event.citations and not event.quick_replies:
            return SlackPost(text=text, metadata=_metadata("message"))
        blocks = [_section(text)] if len(text) <= SECTION_TEXT_MAX else []
        if event.citations and blocks:
            sources = "; ".join(
                escape(f"{c.document} › {c.heading}" if c.heading else c.document) for c in event.citations
            )
            blocks.append(_context(f"Sources: {sources}"))
        if event.quick_replies and blocks:
            elements = [
                _button(r.label, f"{REPLY}.{n}", reply_value(r.text, user)) for n, r in enumerate(event.quick_replies)
            ]
            blocks.append({"type": "actions", "block_id": "purser.replies", "elements": elements})
        return SlackPost(text=text, blocks=blocks, metadata=_metadata("message"))
    if isinstance(event, ConfirmationRequest):
        value = card_value(event.action_id, event.action, user)
        blocks = [_section(mrkdwn(event.summary)), *_fields(quote_facts(event.quote))]
        blocks.append(
            {
                "type": "actions",
                "block_id": "purser.confirmation",
                "elements": [_button("Confirm", CONFIRM, value, "primary"), _button("Cancel", CANCEL, value)],
            }
        )
        return SlackPost(text=escape(event_text(event)), blocks=blocks, metadata=_metadata("confirmation_request"))
    if isinstance(event, ActionResult):
        text = f"{_STATUS_ICON[event.status]} {mrkdwn(event.summary)}"
        return SlackPost(text=text, metadata=_metadata("action_result", status=event.status))
    if isinstance(event, ApprovalPending):
        return SlackPost(
            text=f":hourglass_flowing_sand: {mrkdwn(event_text(event))}", metadata=_metadata("approval_pending")
        )
    if isinstance(event, Handoff):
        return SlackPost(text=f":wave: {escape(event_text(event))}", metadata=_metadata("handoff"))
    raise TypeError(f"not an agent event: {type(event).__name__}")  # pragma: no cover - the union is closed


def handoff_post(*, customer_id: str, channel: str, reason: str, summary: str) -> SlackPost:
    """The team channel's post for a handoff; replies in its thread go to the customer."""
    facts = [("Customer", customer_id), ("Channel", channel), ("Reason", reason.replace("_", " "))]
    return SlackPost(
        text=escape(f"Handoff ({reason}) for {customer_id}: {summary}"),
        blocks=[
            _section(":raising_hand: *A customer needs a person*"),
            *_fields(facts),
            _section(mrkdwn(summary)),
            _context("Reply in this thread to answer the customer in their own channel."),
        ],
        metadata=_metadata("handoff", reason=reason),
    )


def _approval_head(action: str, amount: str | None, customer_id: str) -> list[dict[str, Any]]:
    facts = [("Action", action.replace("_", " ")), ("Customer", customer_id)]
    if amount:
        facts.insert(1, ("Amount", amount))
    return [_section(":lock: *Approval needed*"), *_fields(facts)]


def approval_post(*, approval_id: str, customer_id: str, action: str, summary: str, amount: str | None) -> SlackPost:
    """The approvals channel's request: what, how much, for whom, and Approve / Deny."""
    return SlackPost(
        text=escape(f"Approval needed: {action} {amount or ''} for {customer_id}: {summary}"),
        blocks=[
            *_approval_head(action, amount, customer_id),
            _section(mrkdwn(summary)),
            {
                "type": "actions",
                "block_id": "purser.approval",
                "elements": [
                    _button("Approve", APPROVE, approval_id, "primary"),
                    _button("Deny", DENY, approval_id, "danger"),
                ],
            },
        ],
        metadata=_metadata("approval_request"),
    )


def approval_decided_post(
    *, customer_id: str, action: str, summary: str, amount: str | None, approve: bool, approver: str, outcome: str
) -> SlackPost:
    """The approval request once decided: the buttons replaced by who decided and what happened."""
    who = f"<@{approver.removeprefix('slack:')}>" if approver.startswith("slack:") else escape(approver)
    verdict = f":white_check_mark: Approved by {who}" if approve else f":x: Denied by {who}"
    return SlackPost(
        text=escape(f"{'Approved' if approve else 'Denied'}: {action} for {customer_id}. {outcome}"),
        blocks=[
            *_approval_head(action, amount, customer_id),
            _section(mrkdwn(summary)),
            _context(f"{verdict}: {mrkdwn(outcome)}"),
        ],
        metadata=_metadata("approval_decided", decision="approved" if approve else "denied"),
    )


def confirmation_answered_post(*, summary: str, facts: list[tuple[str, str]], verdict: str) -> SlackPost:
    """A confirmation card once answered: the same summary and facts, the buttons replaced by `verdict`
    (what the customer chose and what came of it, already mrkdwn)."""
    return SlackPost(
        text=escape(summary),
        blocks=[_section(mrkdwn(summary)), *_fields(facts), _context(verdict)],
        metadata=_metadata("confirmation_answered"),
    )
