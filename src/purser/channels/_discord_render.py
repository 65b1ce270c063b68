"""The agent's §7 events as Discord messages: markdown content, embeds for quote facts, button rows.

A Discord message body (`content` ≤ 2000 characters, up to 10 embeds, action rows of buttons) is
the same for the three ways Purser posts one (interaction follow-up, channel message with the bot
token, DM), so rendering is kept apart from routing. A confirmation is the native interactive
card: the summary as content, the quote's customer-facing facts as an embed (never internal ids),
and an action row with Confirm (green, style 3) and Cancel (red, style 4). The button's
`custom_id` carries everything a press needs, because Discord hands it back verbatim and signed:

    purser:<yes|no>:<action_id>:<owner user id>:<action name>      (≤ 100 characters)

The owner lets the adapter refuse a press by someone else without a lookup; the action name lets
a reader of the card (the gym driver) say which action it is without the database.

A message's quick replies are grey buttons (style 2, five to a row) under it, each carrying the
text a press sends as the customer's message:

    purser:reply:<owner user id>:<text>                              (≤ 100 characters)

When a reply's text does not fit, the choices are written out under the message instead
("Answer with /billing and one of: …").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from purser.agent.events import ActionResult, AgentEvent, AgentMessage, ApprovalPending, ConfirmationRequest, Handoff
from purser.channels.render import event_text, quote_facts

__all__ = [
    "APPROVAL_MARK",
    "CONTENT_LIMIT",
    "CUSTOM_ID_LIMIT",
    "EPHEMERAL",
    "HANDOFF_MARK",
    "RESULT_MARKS",
    "ButtonPress",
    "ReplyPress",
    "batch_payloads",
    "decided_row",
    "message_payloads",
    "parse_custom_id",
    "parse_reply_id",
    "reply_id",
    "split_content",
    "text_payloads",
]

CONTENT_LIMIT: Final = 2000
"""Discord refuses a message whose `content` is longer."""
CUSTOM_ID_LIMIT: Final = 100
"""Discord refuses a component whose `custom_id` is longer."""
EPHEMERAL: Final = 1 << 6
"""Message flag: only the user who invoked the interaction sees it."""
_EMBED_FIELDS: Final = 25
_FIELD_VALUE: Final = 1024
_FIELD_NAME: Final = 256
_TITLE: Final = 256
_PREFIX: Final = "purser"
_CONFIRM_STYLE: Final = 3  # SUCCESS (green)
_CANCEL_STYLE: Final = 4  # DANGER (red)
_SECONDARY_STYLE: Final = 2
_ACTION_ROW: Final = 1
_BUTTON: Final = 2
_BLURPLE: Final = 0x5865F2

RESULT_MARKS: Final[Mapping[str, str]] = {"succeeded": "✅", "failed": "⚠️", "refused": "🚫"}
"""The leading mark of an action's outcome, so it reads at a glance (and a reader can tell it apart)."""
APPROVAL_MARK: Final = "⏳"
HANDOFF_MARK: Final = "🙋"


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """What a Confirm/Cancel button's `custom_id` says."""

    decision: Literal["yes", "no"]
    action_id: str
    owner: str
    """The Discord user the card was shown to: only they may press it."""
    action: str


@dataclass(frozen=True, slots=True)
class ReplyPress:
    """What a quick-reply button's `custom_id` says: whose it is and the text it sends."""

    owner: str
    text: str


_REPLY: Final = "reply"
_BUTTONS_PER_ROW: Final = 5
_LABEL: Final = 80


def reply_id(owner: str, text: str) -> str | None:
    """A quick-reply button's `custom_id`, or None when the text does not fit in one."""
    value = f"{_PREFIX}:{_REPLY}:{owner}:{text}"
    return value if len(value) <= CUSTOM_ID_LIMIT else None


def parse_reply_id(value: str) -> ReplyPress | None:
    """The quick reply a `custom_id` describes, or None when it is not one of Purser's."""
    parts = value.split(":", 3)
    if len(parts) != 4 or parts[0] != _PREFIX or parts[1] != _REPLY or not parts[2].isdigit():
        return None
    text = parts[3].strip()
    return ReplyPress(parts[2], text) if text else None


def _reply_rows(event: AgentMessage, owner: str) -> list[dict[str, Any]] | None:
    """The quick replies as action rows of grey buttons; None when one does not fit a `custom_id`."""
    ids = [reply_id(owner, r.text) for r in event.quick_replies]
    if any(i is None for i in ids):
        return None
    buttons = [
        {"type": _BUTTON, "style": _SECONDARY_STYLE, "label": r.label[:_LABEL], "custom_id": i}
        for r, i in zip(event.quick_replies, ids, strict=True)
    ]
    return [
        {"type": _ACTION_ROW, "components": buttons[n : n + _BUTTONS_PER_ROW]}
        for n in range(0, len(buttons), _BUTTONS_PER_ROW)
    ]


def custom_id(decision: Literal["yes", "no"], action_id: str, owner: str, action: str) -> str:
    """A button's `custom_id`; the action name is shortened (it is only informative) to stay ≤ 100."""
    head = f"{_PREFIX}:{decision}:{action_id}:{owner}:"
    if len(head) > CUSTOM_ID_LIMIT:
        raise ValueError(f"action id {action_id!r} is too long for a Discord button")
    return head + action.replace(":", "_")[: CUSTOM_ID_LIMIT - len(head)]


def parse_custom_id(value: str) -> ButtonPress | None:
    """The press a `custom_id` describes, or None when it is not one of Purser's buttons."""
    parts = value.split(":", 4)
    if len(parts) != 5 or parts[0] != _PREFIX or parts[1] not in ("yes", "no"):
        return None
    _, decision, action_id, owner, action = parts
    if not action_id or not owner.isdigit():
        return None
    return ButtonPress("yes" if decision == "yes" else "no", action_id, owner, action)


def split_content(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Text cut into messages of at most `limit` characters, at a line break or space when there is one."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def _flagged(payload: dict[str, Any], ephemeral: bool) -> dict[str, Any]:
    if ephemeral:
        payload["flags"] = EPHEMERAL
    return payload


def text_payloads(text: str, *, ephemeral: bool) -> list[dict[str, Any]]:
    """A plain service message, as many message bodies as its length needs."""
    return [_flagged({"content": chunk, "allowed_mentions": {"parse": []}}, ephemeral) for chunk in split_content(text)]


def _buttons(event: ConfirmationRequest, owner: str) -> dict[str, Any]:
    return {
        "type": _ACTION_ROW,
        "components": [
            {
                "type": _BUTTON,
                "style": _CONFIRM_STYLE,
                "label": "Confirm",
                "custom_id": custom_id("yes", event.action_id, owner, event.action),
            },
            {
                "type": _BUTTON,
                "style": _CANCEL_STYLE,
                "label": "Cancel",
                "custom_id": custom_id("no", event.action_id, owner, event.action),
            },
        ],
    }


def decided_row(press: ButtonPress) -> dict[str, Any]:
    """The card's action row once pressed: both buttons disabled, the chosen one keeps its colour."""
    chosen_yes = press.decision == "yes"
    return {
        "type": _ACTION_ROW,
        "components": [
            {
                "type": _BUTTON,
                "style": _CONFIRM_STYLE if chosen_yes else _SECONDARY_STYLE,
                "label": "Confirmed" if chosen_yes else "Confirm",
                "custom_id": custom_id("yes", press.action_id, press.owner, press.action),
                "disabled": True,
            },
            {
                "type": _BUTTON,
                "style": _SECONDARY_STYLE if chosen_yes else _CANCEL_STYLE,
                "label": "Cancel" if chosen_yes else "Cancelled",
                "custom_id": custom_id("no", press.action_id, press.owner, press.action),
                "disabled": True,
            },
        ],
    }


def _card(event: ConfirmationRequest, owner: str, ephemeral: bool) -> dict[str, Any]:
    facts = quote_facts(event.quote)[:_EMBED_FIELDS]
    embed: dict[str, Any] = {"title": "Please confirm"[:_TITLE], "color": _BLURPLE}
    if facts:
        embed["fields"] = [
            {"name": label[:_FIELD_NAME], "value": (value or "—")[:_FIELD_VALUE], "inline": True}
            for label, value in facts
        ]
    content = split_content(event.summary)[0] if event.summary.strip() else "Please confirm this change."
    payload = {
        "content": content,
        "embeds": [embed],
        "components": [_buttons(event, owner)],
        "allowed_mentions": {"parse": []},
    }
    return _flagged(payload, ephemeral)


def _citations(event: AgentMessage) -> str:
    names = []
    for citation in event.citations:
        name = f"{citation.document} — {citation.heading}" if citation.heading else citation.document
        if name not in names:
            names.append(name)
    return f"\n-# Sources: {'; '.join(names)}" if names else ""


def message_payloads(event: AgentEvent, *, owner: str, ephemeral: bool) -> list[dict[str, Any]]:
    """One agent event as Discord message bodies (usually one; long text is split)."""
    if isinstance(event, ConfirmationRequest):
        return [_card(event, owner, ephemeral)]
    if isinstance(event, AgentMessage):
        if not event.quick_replies:
            return text_payloads(event.text + _citations(event), ephemeral=ephemeral)
        rows = _reply_rows(event, owner)
        if rows is None:
            options = "; ".join(f"“{r.text}”" for r in event.quick_replies)
            text = f"{event.text}{_citations(event)}\n\nAnswer with /billing and one of: {options}"
            return text_payloads(text, ephemeral=ephemeral)
        payloads = text_payloads(event.text + _citations(event), ephemeral=ephemeral)
        payloads[-1]["components"] = rows
        return payloads
    if isinstance(event, ActionResult):
        return text_payloads(f"{RESULT_MARKS[event.status]} {event.summary}", ephemeral=ephemeral)
    if isinstance(event, ApprovalPending):
        return text_payloads(f"{APPROVAL_MARK} {event.summary}", ephemeral=ephemeral)  # says who reviews it
    if isinstance(event, Handoff):
        return text_payloads(f"{HANDOFF_MARK} {event_text(event)}", ephemeral=ephemeral)
    return []  # pragma: no cover - the union is closed


def batch_payloads(events: Sequence[AgentEvent], *, owner: str, ephemeral: bool) -> list[dict[str, Any]]:
    """A batch of events as message bodies; a message repeating an outcome's summary is posted once.

    The runtime states an action's outcome both as the result and as its reply text; in a chat the
    marked result line says it already, so the identical message is left out.
    """
    outcomes = {e.summary.strip() for e in events if isinstance(e, ActionResult | ApprovalPending)}
    return [
        payload
        for event in events
        if not (isinstance(event, AgentMessage) and event.text.strip() in outcomes)
        for payload in message_payloads(event, owner=owner, ephemeral=ephemeral)
    ]
