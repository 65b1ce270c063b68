"""The WhatsApp channel (DESIGN §9): the WhatsApp Cloud API webhook in, Graph API messages out.

    GET  /channels/whatsapp/webhook   Meta's subscription check (hub.verify_token → hub.challenge)
    POST /channels/whatsapp/webhook   X-Hub-Signature-256 over the raw body with the app secret
         text        → the customer's message          (event id: the message's wamid)
         button/list → Confirm or Cancel on an action   (the reply id carries decision and action)
         image, audio, ... → a polite "text only" answer; statuses, reactions → acknowledged only

One WhatsApp number is one Purser conversation (thread key = wa_id): WhatsApp shows a business
exactly one chat per person, so the conversation follows that chat. Replies go out as text in
WhatsApp's markup, confirmations as reply buttons (a list message when the choices do not fit).
The 24-hour customer service window is kept: outside it only the configured template is sent, and
without one nothing is sent and `ChannelDeliveryError` says so (dunning then falls back to email).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage
from purser.channels._whatsapp_api import GraphMessages
from purser.channels._whatsapp_render import batch_messages, template_message, text_messages
from purser.channels._whatsapp_webhook import Incoming, handshake, parse_messages, verify_signature
from purser.channels.base import (
    ChannelDeliveryError,
    ChannelError,
    ChannelNotConfigured,
    ChannelResponse,
    Inbound,
    RawRequest,
    Reception,
)
from purser.channels.render import event_text
from purser.channels.service import canonical
from purser.domain.dates import iso_utc, parse_iso_utc
from purser.ports.channels import ChannelName, ChannelRepository, ChannelThread

if TYPE_CHECKING:
    import httpx

    from purser.channels.links import SignedLinks
    from purser.config import Settings, WhatsAppSettings

__all__ = ["NO_TEMPLATE", "SERVICE_WINDOW", "TEXT_ONLY", "WhatsAppChannel", "build"]

log = logging.getLogger("purser.channels.whatsapp")

SERVICE_WINDOW = timedelta(hours=24)
"""WhatsApp's customer service window: free-form messages only this long after the customer wrote."""
NO_TEMPLATE = "outside the 24-hour window and no template configured"
TEXT_ONLY = "Sorry, I can only read text messages here. Please type your question."
_ACK = ChannelResponse(status=200, body=b"", content_type="text/plain")
_SENT_MEMORY = 512
_INBOUND_MEMORY = 10_000


class WhatsAppChannel:
    """The WhatsApp Cloud API adapter for one business phone number."""

    name = ChannelName("whatsapp")

    def __init__(
        self,
        settings: WhatsAppSettings,
        *,
        repo: ChannelRepository | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.clock = clock
        self.api = GraphMessages(
            api_base=settings.api_base,
            phone_number_id=settings.phone_number_id,
            access_token=settings.access_token,
            http=http,
        )
        self._lock = threading.Lock()
        self._last_inbound: dict[str, datetime] = {}
        """wa_id → when they last wrote, as seen by this process (unlinked users have no thread)."""
        self._sent: OrderedDict[tuple[int, int], AgentEvent] = OrderedDict()
        """(event object, message index) already sent: a retried batch does not send them twice."""

    # -- inbound ----------------------------------------------------------------------------------
    def receive(self, request: RawRequest) -> Reception:
        """Meta's GET handshake, or a signed POST webhook turned into the service's work."""
        if request.path.strip("/") != "webhook":
            raise ChannelError(
                f"unknown WhatsApp endpoint {request.path!r} (the webhook is /channels/whatsapp/webhook)"
            )
        if request.method == "GET":
            return Reception(response=handshake(request.query, self.settings.verify_token))
        if request.method != "POST":
            raise ChannelError(f"the WhatsApp webhook takes GET or POST, not {request.method}")
        verify_signature(request.headers, request.body, self.settings.app_secret)
        incoming = parse_messages(request.body, phone_number_id=self.settings.phone_number_id, now=request.received_at)
        work: list[Inbound] = []
        for message in incoming:
            self._saw(message.wa_id, message.sent_at)
            if message.kind == "unsupported":
                self._answer_unsupported(message, request.received_at)
            else:
                work.append(self._inbound(message))
        return Reception(response=_ACK, work=work)

    def _inbound(self, message: Incoming) -> Inbound:
        event: CustomerMessage | CustomerConfirm
        if message.kind == "choice":
            event = CustomerConfirm(action_id=message.action_id, decision=message.decision)
        else:
            event = CustomerMessage(text=message.text)
        return Inbound(
            channel=self.name,
            event_id=message.message_id,
            external_id=message.wa_id,
            thread_key=message.wa_id,
            address=canonical({"wa_id": message.wa_id}),
            event=event,
            display_name=message.name,
        )

    def _answer_unsupported(self, message: Incoming, now: datetime) -> None:
        # Not a turn, so the service's replay guard never sees it: keep the same guard here.
        if self.repo is not None and not self.repo.first_sighting(self.name, message.message_id, iso_utc(now)):
            return
        try:
            self.api.send(text_messages(message.wa_id, TEXT_ONLY)[0])
        except ChannelDeliveryError as exc:
            log.warning("whatsapp: the text-only answer was not delivered: %s", exc)

    def _saw(self, wa_id: str, at: datetime) -> None:
        with self._lock:
            if wa_id not in self._last_inbound or self._last_inbound[wa_id] < at:
                self._last_inbound[wa_id] = at
            if len(self._last_inbound) > _INBOUND_MEMORY:  # forget numbers whose window has closed
                cutoff = self.clock() - SERVICE_WINDOW
                self._last_inbound = {k: v for k, v in self._last_inbound.items() if v > cutoff}

    # -- outbound ---------------------------------------------------------------------------------
    def deliver(self, thread: ChannelThread, events: Sequence[AgentEvent]) -> None:
        """Send a batch of agent events to the thread's number (a template outside the service window)."""
        to = _recipient(thread)
        if not self._in_window(to, thread):
            texts = [text for text in (event_text(e) for e in events) if text]
            if texts:
                self._send_template(to, "\n".join(texts))
            return
        for event, index, payload in batch_messages(to, events):
            if self._was_sent(event, index):
                continue
            self.api.send(payload)
            self._mark_sent(event, index)

    def send_text(self, external_id: str, text: str, *, thread: ChannelThread | None = None) -> None:
        """A plain message to a WhatsApp number; the template outside the window, or `ChannelDeliveryError`."""
        if not self._in_window(external_id, thread):
            self._send_template(external_id, text)
            return
        for payload in text_messages(external_id, text):
            self.api.send(payload)

    def _send_template(self, to: str, text: str) -> None:
        if not self.settings.template:
            raise ChannelDeliveryError(NO_TEMPLATE)
        self.api.send(
            template_message(to, text, template=self.settings.template, language=self.settings.template_language)
        )

    def last_inbound(self, wa_id: str, thread: ChannelThread | None = None) -> datetime | None:
        """When the customer last wrote: the thread's record, this process's memory, the stored thread."""
        seen: list[datetime] = []
        with self._lock:
            if wa_id in self._last_inbound:
                seen.append(self._last_inbound[wa_id])
        if thread is None and self.repo is not None:
            thread = self.repo.thread(self.name, wa_id)
        if thread is not None and thread.last_inbound_at:
            seen.append(parse_iso_utc(thread.last_inbound_at))
        return max(seen) if seen else None

    def _in_window(self, wa_id: str, thread: ChannelThread | None) -> bool:
        last = self.last_inbound(wa_id, thread)
        return last is not None and self.clock() - last < SERVICE_WINDOW

    def _was_sent(self, event: AgentEvent, index: int) -> bool:
        with self._lock:
            return self._sent.get((id(event), index)) is event

    def _mark_sent(self, event: AgentEvent, index: int) -> None:
        # Holding the event keeps its id from being reused while it is remembered.
        with self._lock:
            self._sent[(id(event), index)] = event
            while len(self._sent) > _SENT_MEMORY:
                self._sent.popitem(last=False)

    def close(self) -> None:
        """Release the HTTP connections."""
        self.api.close()


def _recipient(thread: ChannelThread) -> str:
    """The number a thread's messages go to: the `wa_id` of its address (written by `receive`)."""
    try:
        address = json.loads(thread.address)
    except ValueError:
        address = None
    wa_id = address.get("wa_id") if isinstance(address, dict) else None
    return wa_id if isinstance(wa_id, str) and wa_id else thread.external_id


def build(settings: Settings, *, links: SignedLinks) -> WhatsAppChannel:
    """The adapter for `channels.whatsapp` (the bootstrap calls this; links give the store's thread records)."""
    configured = settings.channels.whatsapp
    if configured is None:
        raise ChannelNotConfigured("channel 'whatsapp' is not configured (add channels.whatsapp to purser.yaml)")
    return WhatsAppChannel(configured, repo=links.repo)
