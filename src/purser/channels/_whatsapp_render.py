"""WhatsApp message bodies (Cloud API `POST /{phone_number_id}/messages`) for the agent's events.

WhatsApp shows plain text with its own light markup (`*bold*`, `_italic_`, `~strike~`), so the
agent's Markdown-ish text is brought to it (`**x**` → `*x*`, `[label](url)` → `label: url`).
A confirmation is an interactive message: reply buttons when every choice fits (at most 3 buttons,
titles at most 20 characters), else a list message (at most 10 rows, row titles at most 24). A
button's id carries the decision, the action name and the action id (`purser:yes:refund:act_...`),
which is all a press needs; ids never appear in what the customer reads. A message's quick
replies are an interactive message too (buttons when they fit, else a list), each choice's id
`purser:reply:<the text a press sends>`; the reply comes back as the customer's message. When an
id would be longer than WhatsApp allows, the choices are written out instead ("Reply with one of").

Limits are WhatsApp's: text body 4096 characters, interactive body 1024, reply-button id 256,
list-row id 200. Outside the 24-hour customer service window only a template may be sent: its one
body parameter carries the text on one line (templates refuse new lines, tabs and runs of more
than four spaces), shortened at a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from purser.agent.events import AgentEvent, AgentMessage, ConfirmationRequest
from purser.channels.render import event_text, quote_facts

__all__ = [
    "BUTTON_PREFIX",
    "Choice",
    "ParsedChoice",
    "batch_messages",
    "choice_id",
    "choices_message",
    "confirmation_body",
    "confirmation_message",
    "parse_choice",
    "parse_reply",
    "reply_choice_id",
    "reply_message",
    "shorten",
    "template_message",
    "text_messages",
    "whatsapp_text",
]

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
MAX_BUTTONS = 3
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
MAX_ROWS = 10
BUTTON_ID_LIMIT = 256
ROW_ID_LIMIT = 200
LIST_BUTTON = "Choose"
TEMPLATE_PARAMETER_LIMIT = 900
"""Template bodies are at most 1024 characters with the template's own words; the text gets 900."""

ACTION_ID_LIMIT = 200
"""The longest action id a customer's confirmation may name (the §7 protocol's limit)."""
BUTTON_PREFIX = "purser"
"""Every Purser button id starts `purser:`; any other id is not ours."""

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_UNDERSCORE_BOLD = re.compile(r"__(.+?)__", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer the customer can tap: its id (what comes back) and its title (what they read)."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ParsedChoice:
    """A pressed Purser button: the decision on one action."""

    decision: Literal["yes", "no"]
    action: str
    action_id: str


def whatsapp_text(text: str) -> str:
    """The agent's text in WhatsApp's markup: `**bold**` → `*bold*`, headings bold, links spelled out."""
    text = _BOLD.sub(r"*\1*", text)
    text = _UNDERSCORE_BOLD.sub(r"*\1*", text)
    text = _HEADING.sub(r"*\1*", text)
    return _LINK.sub(r"\1: \2", text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A long text as several messages, split at paragraph, line or word boundaries."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def text_messages(to: str, text: str) -> list[dict[str, Any]]:
    """Plain text messages to `to` (more than one when the text is longer than WhatsApp allows)."""
    return [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": part},
        }
        for part in _split(whatsapp_text(text).strip())
    ]


def choice_id(decision: Literal["yes", "no"], action: str, action_id: str) -> str:
    """The id of a Confirm/Cancel button: `purser:<decision>:<action>:<action_id>`."""
    return f"{BUTTON_PREFIX}:{decision}:{action}:{action_id}"


def parse_choice(value: str) -> ParsedChoice | None:
    """The decision a pressed button carries; None when the id is not one of Purser's."""
    prefix, _, rest = value.partition(":")
    decision, _, rest = rest.partition(":")
    action, _, action_id = rest.partition(":")
    if prefix != BUTTON_PREFIX or decision not in ("yes", "no") or not action or not action_id:
        return None
    if len(action_id) > ACTION_ID_LIMIT:  # longer than any action id: forged
        return None
    return ParsedChoice(decision="yes" if decision == "yes" else "no", action=action, action_id=action_id)


REPLY_PREFIX = f"{BUTTON_PREFIX}:reply:"


def reply_choice_id(text: str) -> str:
    """The id of a quick-reply choice: `purser:reply:<text>` (what a press sends as the customer)."""
    return REPLY_PREFIX + text


def parse_reply(value: str) -> str | None:
    """The text a pressed quick-reply choice sends; None when the id is not a Purser quick reply."""
    if not value.startswith(REPLY_PREFIX):
        return None
    text = value.removeprefix(REPLY_PREFIX).strip()
    return text or None


def reply_message(to: str, event: AgentMessage) -> list[dict[str, Any]]:
    """A message with quick replies: interactive reply buttons (≤ 3, titles ≤ 20) or a list (≤ 10 rows).

    The message's text is the body when it fits (1024 characters); a longer text goes first as text
    messages. Choices whose ids would not fit are written out as a line under the text instead.
    """
    text = whatsapp_text(event.text).strip()
    choices = [Choice(id=reply_choice_id(r.text), title=r.label) for r in event.quick_replies]
    limit = BUTTON_ID_LIMIT if _as_buttons(choices) else ROW_ID_LIMIT
    if not choices or any(len(c.id) > limit for c in choices) or len(choices) > MAX_ROWS:
        options = "; ".join(f"“{r.text}”" for r in event.quick_replies)
        return text_messages(to, f"{text}\n\nReply with one of: {options}" if options else text)
    if len(text) <= INTERACTIVE_BODY_LIMIT:
        return [choices_message(to, text, choices)]
    return [*text_messages(to, text), choices_message(to, "Choose one:", choices)]


def _as_buttons(choices: Sequence[Choice]) -> bool:
    return len(choices) <= MAX_BUTTONS and all(len(c.title) <= BUTTON_TITLE_LIMIT for c in choices)


def choices_message(to: str, body: str, choices: Sequence[Choice], *, footer: str = "") -> dict[str, Any]:
    """An interactive message offering `choices`: reply buttons when they fit, else a list message.

    Raises `ValueError` when there are no choices or more than a list can hold (10 rows).
    """
    if not choices or len(choices) > MAX_ROWS:
        raise ValueError(f"an interactive message offers 1 to {MAX_ROWS} choices, not {len(choices)}")
    interactive: dict[str, Any]
    fits_buttons = _as_buttons(choices) and all(len(c.id) <= BUTTON_ID_LIMIT for c in choices)
    if fits_buttons:
        interactive = {
            "type": "button",
            "body": {"text": shorten(body, INTERACTIVE_BODY_LIMIT)},
            "action": {"buttons": [{"type": "reply", "reply": {"id": c.id, "title": c.title}} for c in choices]},
        }
    else:
        rows = []
        for c in choices:
            if len(c.id) > ROW_ID_LIMIT:
                raise ValueError(f"a list row id is at most {ROW_ID_LIMIT} characters")
            row = {"id": c.id, "title": shorten(c.title, ROW_TITLE_LIMIT)}
            description = c.description or (c.title if len(c.title) > ROW_TITLE_LIMIT else "")
            if description:
                row["description"] = shorten(description, ROW_DESCRIPTION_LIMIT)
            rows.append(row)
        interactive = {
            "type": "list",
            "body": {"text": shorten(body, INTERACTIVE_BODY_LIMIT)},
            "action": {"button": LIST_BUTTON, "sections": [{"rows": rows}]},
        }
    if footer:
        interactive["footer"] = {"text": shorten(footer, 60)}
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": interactive,
    }


def confirmation_body(event: ConfirmationRequest, *, lead: str = "") -> str:
    """The card's text: the summary in bold (or the agent's `lead` message that states it), then the facts."""
    facts = "\n".join(f"{label}: {value}" if value else label for label, value in quote_facts(event.quote))
    summary = f"*{whatsapp_text(event.summary).strip()}*"
    if lead and event.summary.strip() not in lead:  # the agent's message no longer repeats the summary (one_reply)
        head = f"{summary}\n{whatsapp_text(lead).strip()}\n"
    else:
        head = whatsapp_text(lead).strip() + "\n" if lead else summary
    return f"{head}\n{facts}" if facts else head.strip()


def confirmation_message(to: str, event: ConfirmationRequest, *, lead: str = "") -> dict[str, Any]:
    """A confirmation request as reply buttons Confirm / Cancel under the summary and the quote's facts."""
    choices = [
        Choice(id=choice_id("yes", event.action, event.action_id), title="Confirm"),
        Choice(id=choice_id("no", event.action, event.action_id), title="Cancel"),
    ]
    return choices_message(to, confirmation_body(event, lead=lead), choices)


def _folds(text: str, card: ConfirmationRequest) -> bool:
    """Whether the agent's message before a card introduces it (states the summary, or asks to confirm: the
    summary is no longer repeated in the message, see agent.outcomes.one_reply) and fits in it."""
    summary = card.summary.strip()
    introduces = summary in text or re.search(r"\b(?:confirm|go ahead)\b", text, re.IGNORECASE) is not None
    return bool(summary) and introduces and len(confirmation_body(card, lead=text)) <= INTERACTIVE_BODY_LIMIT


def batch_messages(to: str, events: Sequence[AgentEvent]) -> list[tuple[AgentEvent, int, dict[str, Any]]]:
    """A batch of agent events as WhatsApp messages (inside the service window), each with its event and index.

    A chat shows every bubble, so a batch never says the same thing twice: the message introducing a
    confirmation becomes the card's text, and a message repeating an action's result is sent once.
    """
    out: list[tuple[AgentEvent, int, dict[str, Any]]] = []
    said: set[str] = set()
    lead = ""
    for position, event in enumerate(events):
        following = events[position + 1] if position + 1 < len(events) else None
        if (
            isinstance(event, AgentMessage)
            and not event.quick_replies
            and isinstance(following, ConfirmationRequest)
            and _folds(event.text, following)
        ):
            lead = event.text
            continue
        if isinstance(event, ConfirmationRequest):
            payloads = [confirmation_message(to, event, lead=lead)]
            lead = ""
        elif isinstance(event, AgentMessage) and event.quick_replies:
            said.add(event.text.strip())
            payloads = reply_message(to, event)
        else:
            text = (event.text if isinstance(event, AgentMessage) else event_text(event)).strip()
            if not text or text in said:
                continue
            said.add(text)
            payloads = text_messages(to, text)
        out.extend((event, index, payload) for index, payload in enumerate(payloads))
    return out


def template_message(to: str, text: str, *, template: str, language: str) -> dict[str, Any]:
    """`text` as the body parameter of the configured template (outside the 24-hour window)."""
    one_line = re.sub(r"\s+", " ", whatsapp_text(text)).strip()
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": shorten(one_line, TEMPLATE_PARAMETER_LIMIT)}]}
            ],
        },
    }
