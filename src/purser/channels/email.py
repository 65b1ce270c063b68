"""The email channel (DESIGN §9): inbound mail through a signed webhook, replies over SMTP, and
confirmations through signed single-use links to a Purser page.

    POST /channels/email/inbound        raw RFC 822 body, X-Purser-Signature: sha256=<hex HMAC of the body>
    GET  /channels/email/confirm/<t>    the confirmation page: the quote, Confirm and Cancel (changes nothing)
    POST /channels/email/confirm/<t>    decision=yes|no: uses the link once; the turn runs; a thank-you page

Inbound: the signature is checked over the raw body before anything is parsed (401 otherwise);
automatic mail (auto-replies, bounces, bulk) is acknowledged and ignored, so Purser never answers a
robot; the Message-ID is the event id (the same message twice runs once). The thread is the root
Message-ID found through `In-Reply-To` / `References` (`_email_threads.ThreadMap`), so a whole
exchange is one conversation. The sender is the From address: the service treats an address on file
as that customer; anyone else gets knowledge-base answers only.

Outbound: every reply goes through the outbox (`purser.ports.outbox`: stored, then delivered over
SMTP by a job with retries) as plain text with an HTML alternative, `Re: <subject>`, and the
threading headers. A confirmation request is a link to the confirmation page; writes happen only
after its Confirm button is pressed (a GET never confirms; a mail scanner that opens links is harmless).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from purser.agent.events import AgentEvent, AgentMessage, ConfirmationRequest, CustomerConfirm, CustomerMessage
from purser.channels._email_mime import MAX_REFERENCES, parse_mail
from purser.channels._email_render import PAGE_HEADERS, done_page, error_page, reply_body, review_page
from purser.channels._email_threads import RecentSenders, ThreadMap
from purser.channels.base import (
    ChannelDeliveryError,
    ChannelError,
    ChannelResponse,
    Inbound,
    RawRequest,
    Reception,
    SignatureInvalid,
)
from purser.channels.links import LinkError, LinkExpired, LinkUsed, SignedLinks
from purser.channels.render import quote_facts
from purser.channels.service import canonical
from purser.config import ConfigError, EmailChannelSettings, Settings
from purser.errors import PurserError
from purser.ports.channels import ChannelName, ChannelThread
from purser.ports.jobs import JsonScalar
from purser.ports.outbox import Outbox, OutgoingEmail

__all__ = ["CONFIRM_PURPOSE", "CONFIRM_TTL", "EmailChannel", "build", "sign_body"]

CONFIRM_PURPOSE = "email_confirm"
"""The purpose of confirmation links (a link issued for another page never works here)."""

CONFIRM_TTL = timedelta(hours=24)
"""How long a confirmation link works."""

REPLY_KIND = "support_reply"
"""The outbox kind of the channel's emails."""

_HTML = "text/html; charset=utf-8"
_CONFIRM_KEYS = ("action_id", "thread_key", "external_id", "address")
_ACCEPTED = b'{"ok":true}'
_NEW_SUBJECT = "Your billing question"


def sign_body(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: the `X-Purser-Signature` of an inbound body (what the mail relay computes)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class EmailChannel:
    """Inbound mail, SMTP replies and confirmation pages."""

    name = ChannelName("email")

    def __init__(
        self,
        settings: EmailChannelSettings,
        *,
        links: SignedLinks,
        outbox: Outbox,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.links = links
        self.outbox = outbox
        self.clock = clock or (lambda: datetime.now(UTC))
        self.threads = ThreadMap(links.repo, clock=self.clock)
        self.recent = RecentSenders()
        self._own_address = settings.from_address.rpartition("<")[2].rstrip(">").strip().lower()

    # -- inbound ----------------------------------------------------------------------------------
    def receive(self, request: RawRequest) -> Reception:
        """Verify and parse an inbound email, or serve / answer a confirmation page."""
        path = request.path.strip("/")
        if path == "inbound":
            if request.method != "POST":
                raise ChannelError("the inbound endpoint takes POST with the raw email as its body")
            return self._inbound(request)
        if path.startswith("confirm/"):
            return self._confirm(request, path.removeprefix("confirm/"))
        raise ChannelError(f"the email channel has no endpoint {path!r} (inbound, confirm/<token>)")

    def _verify(self, request: RawRequest) -> None:
        header = request.headers.get("x-purser-signature", "").strip()
        if not header:
            raise SignatureInvalid("missing X-Purser-Signature header (sha256=<hex HMAC of the body>)")
        expected = sign_body(self.settings.inbound_secret, request.body).encode()
        if not hmac.compare_digest(expected, header.lower().encode("utf-8", "replace")):
            raise SignatureInvalid("X-Purser-Signature does not match the body")

    def _inbound(self, request: RawRequest) -> Reception:
        self._verify(request)
        mail = parse_mail(request.body)
        if mail.automatic or mail.sender == self._own_address:
            return Reception(ChannelResponse(200, b'{"ok":true,"ignored":"automatic mail"}'))
        if not mail.text:
            return Reception(ChannelResponse(200, b'{"ok":true,"ignored":"no text"}'))
        earlier = [mail.in_reply_to] if mail.in_reply_to else []
        earlier += [ref for ref in reversed(mail.references) if ref not in earlier]
        root = self.threads.root_of(mail.sender, mail.message_id, earlier)
        address = canonical(
            {
                "to": mail.sender,
                "subject": mail.subject,
                "in_reply_to": mail.message_id,
                "references": _references(mail.references, root, mail.message_id),
            }
        )
        self.recent.put(mail.sender, address, root)
        inbound = Inbound(
            channel=self.name,
            event_id=mail.message_id,
            external_id=mail.sender,
            thread_key=root,
            address=address,
            event=CustomerMessage(text=mail.text),
            display_name=mail.display_name,
        )
        return Reception(ChannelResponse(200, _ACCEPTED), [inbound])

    # -- confirmation pages -----------------------------------------------------------------------
    def _confirm(self, request: RawRequest, token: str) -> Reception:
        try:
            if request.method == "GET":
                payload = self.links.peek(CONFIRM_PURPOSE, token)
                facts = [(str(label), str(value)) for label, value in json.loads(str(payload.get("facts", "[]")))]
                return Reception(_page(200, review_page(str(payload.get("summary", "")), facts)))
            decision = _decision(request.body)
            payload = self.links.redeem(CONFIRM_PURPOSE, token)
        except LinkExpired:
            return Reception(_page(410, error_page("Link expired", _EXPIRED)))
        except LinkUsed:
            return Reception(_page(409, error_page("Link already used", _USED)))
        except LinkError:
            return Reception(_page(400, error_page("Link not valid", _INVALID)))
        except ChannelError as exc:
            return Reception(_page(400, error_page("Please use the buttons", str(exc))))
        if any(not isinstance(payload.get(key), str) for key in _CONFIRM_KEYS):
            return Reception(_page(400, error_page("Link not valid", _INVALID)))
        inbound = self._confirmation(payload, decision, token.partition(".")[0])
        return Reception(_page(200, done_page(decision)), [inbound])

    def _confirmation(self, payload: Mapping[str, JsonScalar], decision: str, token_id: str) -> Inbound:
        thread_key = str(payload["thread_key"])
        # The thread's current reply headers (newer mail may have arrived since the link was sent).
        thread = self.links.repo.thread(self.name, thread_key)
        address = thread.address if thread is not None else str(payload["address"])
        return Inbound(
            channel=self.name,
            event_id=f"confirm:{token_id}",
            external_id=str(payload["external_id"]),
            thread_key=thread_key,
            address=address,
            event=CustomerConfirm(action_id=str(payload["action_id"]), decision="yes" if decision == "yes" else "no"),
        )

    # -- outbound ---------------------------------------------------------------------------------
    def deliver(self, thread: ChannelThread, events: Sequence[AgentEvent]) -> None:
        """One reply in the thread for a batch of events (a confirmation request carries its link)."""
        links = {
            event.action_id: self._confirm_link(thread, event)
            for event in events
            if isinstance(event, ConfirmationRequest)
        }
        body = reply_body(events, links, ttl_hours=int(CONFIRM_TTL.total_seconds() // 3600))
        if body is not None:
            self._send(_address(thread.address), body.text, body.html, root=thread.thread_key, customer=thread)

    def send_text(self, external_id: str, text: str, *, thread: ChannelThread | None = None) -> None:
        """A service message (knowledge-base answer, link code hint, a stale link's notice)."""
        body = reply_body([AgentMessage(text=text)], {}, ttl_hours=0)
        if body is None:
            return
        if thread is not None:
            self._send(_address(thread.address), body.text, body.html, root=thread.thread_key, customer=thread)
            return
        recent = self.recent.get(external_id)
        address = _address(recent[0]) if recent else {"to": external_id}
        self._send(address, body.text, body.html, root=recent[1] if recent else None, customer=None)

    def _confirm_link(self, thread: ChannelThread, event: ConfirmationRequest) -> str:
        facts = quote_facts(event.quote)
        payload: dict[str, JsonScalar] = {
            "conversation_id": thread.conversation_id,
            "action_id": event.action_id,
            "action": event.action,
            "summary": event.summary,
            "facts": json.dumps(facts),
            "thread_key": thread.thread_key,
            "external_id": thread.external_id,
            "address": thread.address,
        }
        return self.links.issue(CONFIRM_PURPOSE, payload, ttl=CONFIRM_TTL, path="channels/email/confirm")

    def _send(
        self, address: Mapping[str, Any], text: str, html: str, *, root: str | None, customer: ChannelThread | None
    ) -> None:
        to = str(address.get("to", ""))
        subject = str(address.get("subject") or "")
        if not subject:
            subject = _NEW_SUBJECT
        elif not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        headers: dict[str, str] = {}
        in_reply_to = address.get("in_reply_to")
        references = [str(ref) for ref in address.get("references", []) if isinstance(ref, str)]
        if isinstance(in_reply_to, str) and in_reply_to:
            headers["In-Reply-To"] = in_reply_to
            headers["References"] = " ".join(references or [in_reply_to])
        # The same reply to the same message is stored (and sent) once, however often it is handed over.
        key = "email:" + hashlib.sha256(f"{to}\n{in_reply_to}\n{subject}\n{text}".encode()).hexdigest()[:48]
        email = OutgoingEmail(
            to=to,
            subject=subject,
            text=text,
            html=html,
            kind=REPLY_KIND,
            customer_id=customer.customer_id if customer is not None else None,
            sender=self.settings.from_address,
            headers=headers,
        )
        try:
            entry = self.outbox.send(email, key=key)
        except PurserError as exc:
            raise ChannelDeliveryError(f"email: the outbox refused the reply ({exc.code})") from None
        if root is not None:
            # Both ends of the exchange lead back to the thread (written here, off the request path).
            if isinstance(in_reply_to, str) and in_reply_to:
                self.threads.remember(in_reply_to, root, to)
            self.threads.remember(entry.message_id, root, to)


_EXPIRED = "This confirmation link has expired, so nothing was changed. Reply to our email to ask again."
_USED = "This confirmation link was already used; nothing more was changed. We've emailed you the result."
_INVALID = "This link is not valid (it may be incomplete). Nothing was changed."


def _page(status: int, body: bytes) -> ChannelResponse:
    return ChannelResponse(status=status, body=body, content_type=_HTML, headers=dict(PAGE_HEADERS))


def _references(earlier: Sequence[str], root: str, message_id: str) -> list[str]:
    """The References of our reply: the root first, then the newest earlier ids, then their message."""
    kept = [ref for ref in earlier if ref not in (root, message_id)][-(MAX_REFERENCES - 2) :]
    return [root, *kept, message_id] if root != message_id else [message_id]


def _decision(body: bytes) -> str:
    try:
        form = parse_qs(body.decode("ascii"), strict_parsing=False, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise ChannelError("the form could not be read; press Confirm or Cancel on the page") from None
    values = form.get("decision", [])
    if len(values) != 1 or values[0] not in ("yes", "no"):
        raise ChannelError("press Confirm or Cancel on the page (decision must be yes or no)")
    return values[0]


def _address(text: str) -> dict[str, Any]:
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ChannelDeliveryError("email: a thread's address is not a JSON object")
    return loaded


def build(settings: Settings, *, links: SignedLinks, outbox: Outbox | None = None, **_extra: object) -> EmailChannel:
    """The email channel of `settings.channels.email`; its replies go through `outbox` (required)."""
    configured = settings.channels.email
    if configured is None:
        raise ConfigError("channels.email is not configured")
    if outbox is None:
        raise ConfigError("the email channel sends its replies through the outbox, and none is wired")
    return EmailChannel(configured, links=links, outbox=outbox)
