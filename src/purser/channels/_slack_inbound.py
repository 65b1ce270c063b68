"""Slack requests in: the signature check, then the Events API and interactivity payloads parsed.

Verification is Slack's v0 scheme (slack_sdk's `SignatureVerifier`): HMAC-SHA256 with the app's
signing secret over `v0:{X-Slack-Request-Timestamp}:{raw body}`, compared in constant time, the
timestamp within 5 minutes of arrival. Nothing is parsed before that passes.

Events API (`POST events`, JSON):
    url_verification                 → echo the challenge
    event_callback / message         → a customer's message (a DM, `channel_type: im`, or a Slack
                                       Connect channel, `is_ext_shared_channel`), or a teammate's
                                       reply in the thread of a handoff post in the team channel
    bot messages, subtypes (edits, joins, deletions), our own bot user, other channels and other
    event types                      → acknowledged, nothing done
Interactivity (`POST interactions`, form-encoded `payload=` JSON, `block_actions`):
    Confirm / Cancel on a card       → the customer's confirmation (only the card's owner may press)
    a quick reply (`purser.reply.<n>`) → the customer's message: the reply's text (owner only)
    Approve / Deny in approvals      → an approval decision (the service checks the approver)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError
from slack_sdk.signature import Clock, SignatureVerifier

from purser.agent.events import CustomerConfirm, CustomerMessage
from purser.channels._slack_render import (
    APPROVE,
    CANCEL,
    CONFIRM,
    DENY,
    REPLY,
    parse_card_value,
    parse_reply_value,
    unescape,
)
from purser.channels.base import (
    ApprovalDecision,
    ChannelError,
    ChannelForbidden,
    ChannelResponse,
    Inbound,
    RawRequest,
    Reception,
    SignatureInvalid,
    TeamReply,
    Work,
)
from purser.channels.service import canonical
from purser.ports.channels import ChannelName

__all__ = [
    "MAX_TEXT",
    "SLACK",
    "TIMESTAMP_WINDOW",
    "InboundRules",
    "parse_events",
    "parse_interactions",
    "plain_text",
    "verify",
]

SLACK = ChannelName("slack")
TIMESTAMP_WINDOW = 5 * 60
"""Seconds a signed request stays acceptable (Slack's own recommendation)."""
MAX_TEXT = 4000
"""Longest customer message the agent takes (§7); longer Slack messages are cut here."""

ACK = ChannelResponse(200, b'{"ok":true}')

HandoffOf = Callable[[str, str], str | None]
"""(team channel id, thread ts of the handoff post) → the conversation it hands off, if it is ours."""


class _At(Clock):
    """slack_sdk's clock pinned to the request's arrival time (the window is checked against it)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> float:  # float-ok: slack_sdk's Clock interface is epoch seconds as a float
        return self.moment.timestamp()


def verify(request: RawRequest, signing_secret: str) -> None:
    """Slack's v0 signature over the raw body, within the 5-minute window; `SignatureInvalid` otherwise."""
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise SignatureInvalid("missing X-Slack-Request-Timestamp or X-Slack-Signature")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureInvalid("X-Slack-Request-Timestamp is not a Unix time")
    if abs(request.received_at.timestamp() - int(timestamp)) > TIMESTAMP_WINDOW:
        raise SignatureInvalid("X-Slack-Request-Timestamp is more than 5 minutes away from now")
    try:
        valid = SignatureVerifier(signing_secret, clock=_At(request.received_at)).is_valid(
            request.body, timestamp, signature
        )
    except UnicodeDecodeError:
        valid = False  # Slack only sends UTF-8; such a body cannot carry a valid signature
    if not valid:
        raise SignatureInvalid("X-Slack-Signature does not match the request")


class InboundRules:
    """Which Slack channels are the team's, and how a handoff post's thread leads to its conversation."""

    def __init__(self, *, approvals_channel: str | None, team_channel: str | None, handoff_of: HandoffOf) -> None:
        self.approvals_channel = approvals_channel
        self.team_channel = team_channel
        self.handoff_of = handoff_of


def _json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise ChannelError(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise ChannelError(f"{what} is not a JSON object")
    return data


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelError(f"{what} has no {key}")
    return value


def parse_events(body: bytes, rules: InboundRules) -> Reception:
    """An Events API request (already verified) → the answer and the work it asks for."""
    envelope = _json_object(body, "the event body")
    kind = envelope.get("type")
    if kind == "url_verification":
        challenge = _str(envelope, "challenge", "the url_verification request")
        return Reception(ChannelResponse(200, json.dumps({"challenge": challenge}).encode()))
    if kind != "event_callback":
        return Reception(ACK)  # app_rate_limited and future envelope types: acknowledged
    event = envelope.get("event")
    if not isinstance(event, dict):
        raise ChannelError("the event_callback has no event")
    event_id = _str(envelope, "event_id", "the event_callback")
    if event.get("type") != "message" or _not_a_person(event, envelope):
        return Reception(ACK)
    user, channel = event.get("user"), event.get("channel")
    text = event.get("text")
    if not isinstance(user, str) or not isinstance(channel, str) or not isinstance(text, str) or not text.strip():
        return Reception(ACK)
    text = plain_text(text)[:MAX_TEXT]
    if not text:
        return Reception(ACK)
    if channel == rules.team_channel:
        return Reception(ACK, _team_reply(event, event_id, user, channel, text, rules))
    if channel == rules.approvals_channel:
        return Reception(ACK)
    if event.get("channel_type") != "im":
        if envelope.get("is_ext_shared_channel") is not True:
            return Reception(ACK)  # an internal channel the bot was added to: not a customer's
        if event.get("user_team") is not None and event.get("user_team") == envelope.get("team_id"):
            return Reception(ACK)  # our own people talking in a channel shared with a customer
    return Reception(ACK, [_from_customer(event_id, user, channel, CustomerMessage(text=text))])


_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SLACK_REFERENCE = re.compile(r"<[@#!]([^|>]+)(?:\|([^>]+))?>")


def plain_text(text: str) -> str:
    """A Slack message's text as the person wrote it: links and mentions unwrapped, escapes undone.

    Slack sends `<https://x|label>`, `<mailto:ana@example.com|ana@example.com>`, `<@U123>` and
    `<!here>`; the agent (and the email-address step of self-service linking) reads plain words.
    """
    text = _SLACK_LINK.sub(_link_words, text)
    text = _SLACK_REFERENCE.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    return unescape(text).strip()


def _link_words(match: re.Match[str]) -> str:
    target, label = match.group(1).removeprefix("mailto:"), match.group(2)
    return target if not label or label == target else f"{label} ({target})"


def _not_a_person(event: Mapping[str, Any], envelope: Mapping[str, Any]) -> bool:
    """Bots (ours included), edits, joins, deletions and other subtypes are not a customer writing."""
    if event.get("subtype") is not None or event.get("bot_id") is not None or event.get("bot_profile") is not None:
        return True
    authorizations = envelope.get("authorizations")
    ours = {
        a.get("user_id")
        for a in (authorizations if isinstance(authorizations, list) else [])
        if isinstance(a, dict) and a.get("is_bot") is True
    }
    return event.get("user") in ours


def _team_reply(
    event: Mapping[str, Any], event_id: str, user: str, channel: str, text: str, rules: InboundRules
) -> list[Work]:
    thread_ts = event.get("thread_ts")
    if not isinstance(thread_ts, str) or thread_ts == event.get("ts"):
        return []  # a new top-level message in the team channel, not a reply to a handoff
    conversation_id = rules.handoff_of(channel, thread_ts)
    if conversation_id is None:
        return []
    return [TeamReply(channel=SLACK, event_id=event_id, conversation_id=conversation_id, text=text, external_id=user)]


def _payload(body: bytes) -> dict[str, Any]:
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise ChannelError("the interaction body is not a form") from None
    values = form.get("payload", [])
    if len(values) != 1:
        raise ChannelError("the interaction body has no single payload field")
    return _json_object(values[0], "the interaction payload")


def parse_interactions(body: bytes, rules: InboundRules) -> Reception:
    """An interactivity request (already verified) → the confirmation or approval decision it carries."""
    payload = _payload(body)
    if payload.get("type") != "block_actions":
        return Reception(ACK)  # shortcuts, view submissions: not used by Purser
    user = payload.get("user")
    actions = payload.get("actions")
    if not isinstance(user, dict) or not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ChannelError("the block_actions payload has no user or action")
    presser = _str(user, "id", "the block_actions user")
    action = actions[0]
    action_id = action.get("action_id")
    quick = isinstance(action_id, str) and action_id.startswith(REPLY + ".")
    if action_id not in (CONFIRM, CANCEL, APPROVE, DENY) and not quick:
        return Reception(ACK)
    channel = _channel_of(payload)
    event_id = f"{_str(action, 'action_ts', 'the action')}:{presser}"
    if quick:
        reply = parse_reply_value(action.get("value"))
        if reply.user != presser:
            raise ChannelForbidden("only the customer the suggested replies are for may press them")
        message = CustomerMessage(text=reply.text[:MAX_TEXT])
        return Reception(ACK, [_from_customer(event_id, presser, channel, message)])
    if action_id in (APPROVE, DENY):
        if channel != rules.approvals_channel:
            raise ChannelForbidden("approval buttons only work in the approvals channel")
        approval_id = _str(action, "value", "the approval button")
        decision = ApprovalDecision(
            channel=SLACK, event_id=event_id, approval_id=approval_id, approve=action_id == APPROVE, external_id=presser
        )
        return Reception(ACK, [decision])
    card = parse_card_value(action.get("value"))
    if card.user != presser:
        raise ChannelForbidden("only the customer the confirmation is for may press its buttons")
    try:
        confirm = CustomerConfirm(action_id=card.action_id, decision="yes" if action_id == CONFIRM else "no")
    except ValidationError:
        raise ChannelError("the button's action id is not a Purser action id") from None
    return Reception(ACK, [_from_customer(event_id, presser, channel, confirm)])


def _channel_of(payload: Mapping[str, Any]) -> str:
    """The channel the pressed message is in (`container.channel_id`, else `channel.id`)."""
    container = payload.get("container")
    if isinstance(container, dict) and isinstance(container.get("channel_id"), str) and container["channel_id"]:
        return str(container["channel_id"])
    channel = payload.get("channel")
    if isinstance(channel, dict):
        return _str(channel, "id", "the block_actions channel")
    raise ChannelError("the block_actions payload names no channel")


def _from_customer(event_id: str, user: str, channel: str, event: CustomerMessage | CustomerConfirm) -> Inbound:
    """What a Slack user did in `channel` (typed a message, pressed a quick reply or a confirmation card's
    button) as the customer's §7 event, answered in the same channel."""
    return Inbound(
        channel=SLACK,
        event_id=event_id,
        external_id=user,
        thread_key=channel,
        address=canonical({"channel": channel}),
        event=event,
    )
