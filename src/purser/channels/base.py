"""The `Channel` protocol (DESIGN §9): what every platform adapter does, and the values it trades.

A channel adapter only
  1. verifies the platform's request and parses it (`receive`: a `RawRequest` in, a `Reception` out:
     the immediate answer for the platform plus the work to do after it),
  2. renders the agent's §7 events natively and sends them (`deliver`), and
  3. sends a plain service message to a platform user (`send_text`: link codes, knowledge-base
     answers for unlinked users, dunning outreach).
Identity, conversations, replays and the turn itself are the `ChannelService`'s (channels/service.py),
the same for every platform. Adapters never import FastAPI: the web layer turns an HTTP request into
a `RawRequest` and a `ChannelResponse` back into an HTTP response.

Errors (all `PurserError`s, mapped to HTTP by type):

    ChannelError                         400 channel_bad_request   unknown event type, malformed body
     ├── SignatureInvalid                401 signature_invalid     missing/wrong signature, stale timestamp
     ├── ChannelForbidden                403 channel_forbidden     a button pressed by someone else
     ├── ChannelNotConfigured            404 channel_not_configured the platform has no `channels:` section
     └── ChannelDeliveryError            502 channel_delivery_failed the platform refused or did not answer
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage
from purser.errors import PurserError
from purser.ports.channels import ChannelName, ChannelThread

__all__ = [
    "ApprovalDecision",
    "Channel",
    "ChannelDeliveryError",
    "ChannelError",
    "ChannelForbidden",
    "ChannelNotConfigured",
    "ChannelResponse",
    "Inbound",
    "RawRequest",
    "Reception",
    "SignatureInvalid",
    "TeamDesk",
    "TeamReply",
    "Work",
]


class ChannelError(PurserError, ValueError):
    """A platform request that cannot be used (malformed body, unknown event type); nothing recorded."""

    code = "channel_bad_request"
    status = 400


class SignatureInvalid(ChannelError):
    """Missing or wrong platform signature, or a stale timestamp; nothing recorded."""

    code = "signature_invalid"
    status = 401


class ChannelForbidden(ChannelError):
    """A verified request by someone not allowed to do it (another user's button, a non-approver)."""

    code = "channel_forbidden"
    status = 403


class ChannelNotConfigured(ChannelError):
    """The platform has no `channels:` section in the configuration."""

    code = "channel_not_configured"
    status = 404


class ChannelDeliveryError(PurserError, RuntimeError):
    """The platform refused a message or did not answer (the message names the API method, never a token)."""

    code = "channel_delivery_failed"
    status = 502


@dataclass(frozen=True, slots=True)
class RawRequest:
    """An HTTP request as the platform sent it (headers lower-cased; the body exactly as received)."""

    method: str
    path: str
    """The path below `/channels/{name}/`, e.g. `events`, `webhook`, `confirm/<token>`."""
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    received_at: datetime
    """Wall-clock time of arrival (UTC), for timestamp windows."""


@dataclass(frozen=True, slots=True)
class ChannelResponse:
    """What the web layer answers the platform right away."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Inbound:
    """A customer's message or button press, verified and parsed."""

    channel: ChannelName
    event_id: str
    """The platform's id of this event: a replay with the same id runs once."""
    external_id: str
    """The platform user (Slack user id, WhatsApp number, Discord user id, email address)."""
    thread_key: str
    """The platform conversation (Slack DM channel, WhatsApp number, Discord channel, email thread root)."""
    address: str
    """Canonical JSON: how `deliver` reaches this thread (adapter-specific)."""
    event: CustomerMessage | CustomerConfirm
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    """A teammate pressed Approve or Deny on an approval request (team side)."""

    channel: ChannelName
    event_id: str
    approval_id: str
    approve: bool
    external_id: str
    """Who pressed (checked against the approvers by the service)."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TeamReply:
    """A teammate's reply in a handoff's thread, for the customer."""

    channel: ChannelName
    event_id: str
    conversation_id: str
    text: str
    external_id: str
    """The teammate."""


Work = Inbound | ApprovalDecision | TeamReply
"""What a verified platform request asks the service to do after answering the platform."""


@dataclass(frozen=True, slots=True)
class Reception:
    """A verified request: the answer for the platform now, then the work (run in the background)."""

    response: ChannelResponse
    work: Sequence[Work] = ()


class Channel(Protocol):
    """One platform adapter."""

    name: ChannelName

    def receive(self, request: RawRequest) -> Reception:
        """Verify and parse a platform request; raises a `ChannelError` and records nothing when it is bad."""
        ...

    def deliver(self, thread: ChannelThread, events: Sequence[AgentEvent]) -> None:
        """Render the agent's events natively and send them into the thread."""
        ...

    def send_text(self, external_id: str, text: str, *, thread: ChannelThread | None = None) -> None:
        """A plain service message to a platform user (in `thread` when known); `ChannelDeliveryError` on failure."""
        ...


class TeamDesk(Protocol):
    """Where the team works (Slack's approvals and team channels): handoffs and approval requests land here."""

    def post_handoff(self, *, conversation_id: str, customer_id: str, channel: str, reason: str, summary: str) -> None:
        """Post a handoff with its summary; a teammate's thread reply becomes a `TeamReply`."""
        ...

    def post_approval(
        self, *, approval_id: str, conversation_id: str, customer_id: str, action: str, summary: str, amount: str | None
    ) -> None:
        """Post an approval request with Approve/Deny buttons."""
        ...

    def approval_decided(self, *, approval_id: str, approve: bool, approver: str, outcome: str) -> None:
        """Show the decision on the posted request (buttons replaced by who decided and what happened)."""
        ...
