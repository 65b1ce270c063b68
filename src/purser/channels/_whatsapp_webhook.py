"""WhatsApp Cloud API webhooks: the verification handshake, the signature, and the payload's messages.

    GET  webhook?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C   → C (text/plain) when T matches
    POST webhook   X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, key: the app secret>
         {"object": "whatsapp_business_account",
          "entry": [{"id": WABA, "changes": [{"field": "messages", "value": {
              "metadata": {"phone_number_id": ...},
              "contacts": [{"wa_id": ..., "profile": {"name": ...}}],
              "messages": [{"from": wa_id, "id": "wamid...", "timestamp": "1700000000", "type": "text",
                            "text": {"body": ...}}],
              "statuses": [...]}}]}]}

The body is parsed only after its signature checks out. What a message asks for is returned as
`Incoming` values; the adapter turns them into the service's work.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from purser.channels._whatsapp_render import parse_choice, parse_reply
from purser.channels.base import ChannelError, ChannelForbidden, ChannelResponse, SignatureInvalid

__all__ = ["MAX_AGE", "Incoming", "handshake", "parse_messages", "verify_signature"]

log = logging.getLogger("purser.channels.whatsapp")

MAX_AGE = timedelta(days=7)
"""Meta retries an unacknowledged webhook for up to 7 days; a message older than that is dropped."""
MAX_TEXT = 4000
"""Longest customer message the agent takes (WhatsApp allows 4096); longer text is cut here."""
MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker", "location", "contacts", "unsupported"})
"""Message types a customer sends that Purser cannot read: they get a polite text answer."""
_WA_ID = re.compile(r"^[0-9]{5,20}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One customer message of a webhook, verified and read."""

    kind: Literal["text", "choice", "unsupported"]
    message_id: str
    wa_id: str
    sent_at: datetime
    name: str = ""
    text: str = ""
    decision: Literal["yes", "no"] = "no"
    action_id: str = ""


def handshake(query: Mapping[str, str], verify_token: str) -> ChannelResponse:
    """Answer Meta's subscription check: echo `hub.challenge` when `hub.verify_token` matches, else 403."""
    mode = query.get("hub.mode", "")
    token = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), verify_token.encode()):
        raise ChannelForbidden("the webhook verification needs hub.mode=subscribe and the configured verify token")
    if not _CHALLENGE.fullmatch(challenge):
        raise ChannelError("hub.challenge is missing or not a token (letters, digits, . _ -; at most 200)")
    return ChannelResponse(status=200, body=challenge.encode(), content_type="text/plain")


def verify_signature(headers: Mapping[str, str], body: bytes, app_secret: str) -> None:
    """Check `X-Hub-Signature-256` over the raw body; `SignatureInvalid` (401) when missing or wrong."""
    header = headers.get("x-hub-signature-256", "")
    if not header:
        raise SignatureInvalid("the X-Hub-Signature-256 header is missing")
    scheme, _, given = header.partition("=")
    if scheme != "sha256" or not given:
        raise SignatureInvalid("X-Hub-Signature-256 must be sha256=<hex digest>")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
        raise SignatureInvalid("X-Hub-Signature-256 does not match the body (is the app secret right?)")


def parse_messages(body: bytes, *, phone_number_id: str, now: datetime) -> list[Incoming]:
    """The customer messages of a verified webhook body for our phone number.

    `ChannelError` (400) for a body that is not a WhatsApp webhook (not JSON, no `entry` list, a
    message without id or sender). Statuses, other fields, other numbers, reactions and messages
    older than `MAX_AGE` yield nothing.
    """
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than any webhook's
        raise ChannelError("the webhook body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ChannelError("the webhook body has no entry list")
    if payload.get("object") != "whatsapp_business_account":
        return []
    found: list[Incoming] = []
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            raise ChannelError("a webhook entry has no changes list")
        for change in changes:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                raise ChannelError("a messages change has no value object")
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or str(metadata.get("phone_number_id", "")) != phone_number_id:
                continue  # another number of the same app: not ours to answer
            _log_statuses(value.get("statuses"))
            names = _contact_names(value.get("contacts"))
            messages = value.get("messages", [])
            if not isinstance(messages, list):
                raise ChannelError("value.messages is not a list")
            for message in messages:
                incoming = _message(message, names, now)
                if incoming is not None:
                    found.append(incoming)
    return found


def _contact_names(contacts: object) -> dict[str, str]:
    names: dict[str, str] = {}
    if isinstance(contacts, list):
        for contact in contacts:
            if isinstance(contact, dict) and isinstance(contact.get("profile"), dict):
                names[str(contact.get("wa_id", ""))] = str(contact["profile"].get("name", ""))
    return names


def _log_statuses(statuses: object) -> None:
    if not isinstance(statuses, list):
        return
    for status in statuses:
        if isinstance(status, dict) and status.get("status") == "failed":
            codes = [e.get("code") for e in status.get("errors", []) if isinstance(e, dict)]
            log.warning("whatsapp: a message to a customer failed (error codes %s)", codes)


def _message(message: object, names: Mapping[str, str], now: datetime) -> Incoming | None:
    if not isinstance(message, dict):
        raise ChannelError("a webhook message is not an object")
    message_id, wa_id, kind = message.get("id"), message.get("from"), message.get("type")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 200:
        raise ChannelError("a webhook message has no id")
    if not isinstance(wa_id, str) or not _WA_ID.fullmatch(wa_id):
        raise ChannelError("a webhook message's 'from' is not a WhatsApp id (digits)")
    try:
        sent_at = datetime.fromtimestamp(int(str(message.get("timestamp"))), UTC)
    except (ValueError, OverflowError, OSError):
        raise ChannelError("a webhook message's timestamp is not a Unix time") from None
    if now - sent_at > MAX_AGE:
        log.info("whatsapp: message %s is older than %s and is dropped", message_id, MAX_AGE)
        return None
    base = Incoming(kind="unsupported", message_id=message_id, wa_id=wa_id, sent_at=sent_at, name=names.get(wa_id, ""))
    if kind in ("text", "button"):  # `button`: a template's quick-reply button; its text is the answer
        text = _field(message, "text", "body") if kind == "text" else _field(message, "button", "text")
        text = text.strip()[:MAX_TEXT].strip()
        return replace(base, kind="text", text=text) if text else None
    if kind == "interactive":
        interactive = message.get("interactive")
        reply_type = interactive.get("type") if isinstance(interactive, dict) else None
        if reply_type not in ("button_reply", "list_reply"):
            return None
        pressed = _field(interactive, str(reply_type), "id")
        reply = parse_reply(pressed)
        if reply is not None:  # a quick reply: its text is the customer's message
            return replace(base, kind="text", text=reply[:MAX_TEXT])
        choice = parse_choice(pressed)
        if choice is None:
            return None  # a button that is not Purser's
        return replace(base, kind="choice", decision=choice.decision, action_id=choice.action_id)
    if kind in MEDIA_TYPES:
        return base
    return None  # reactions, system notices, orders...: nothing to answer


def _field(container: Any, key: str, name: str) -> str:
    inner = container.get(key) if isinstance(container, dict) else None
    value = inner.get(name) if isinstance(inner, dict) else None
    return value if isinstance(value, str) else ""
