"""The channels' ports (DESIGN §9): who a platform user is, which conversation a platform thread is,
which platform events were already handled, and single-use signed links.

    links      (channel, external_id)      -> customer_id     `purser channel link`, self-service codes
    threads    (channel, thread_key)       -> conversation    where the agent's later events are sent
    seen       (channel, event_id)                            a replayed platform event runs once
    codes      (channel, external_id)      -> pending code    self-service verification by email
    tokens     token id                    -> purpose, payload, expiry, used_at   signed links

Entities are frozen dataclasses; `address` is the platform's delivery address as canonical JSON
text (a Slack channel id, a WhatsApp number, a Discord channel, an email thread's headers), parsed
only by the adapter that wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType, Protocol

ChannelName = NewType("ChannelName", str)
"""slack | whatsapp | discord | email (a conversation's `channel`)."""

LinkTokenId = NewType("LinkTokenId", str)
"""lnk_<random>: one signed link's row."""


@dataclass(frozen=True, slots=True)
class ChannelLink:
    """A platform user known to be a customer."""

    channel: ChannelName
    external_id: str
    customer_id: str
    linked_by: str
    """`admin:<name>` (CLI or dashboard) or `code` (self-service verification)."""
    created_at: str


@dataclass(frozen=True, slots=True)
class ChannelThread:
    """A platform conversation (DM, phone number, email thread) bound to one Purser conversation."""

    channel: ChannelName
    thread_key: str
    conversation_id: str
    customer_id: str
    external_id: str
    """The platform user the agent answers."""
    address: str
    """Canonical JSON: how the adapter reaches this thread."""
    last_inbound_at: str | None
    """When the customer last wrote (WhatsApp's 24-hour service window)."""
    updated_at: str


@dataclass(frozen=True, slots=True)
class VerificationCode:
    """A self-service linking code sent to the customer's email on file (only its hash is kept)."""

    channel: ChannelName
    external_id: str
    customer_id: str
    code_hash: str
    expires_at: str
    attempts: int


@dataclass(frozen=True, slots=True)
class LinkToken:
    """A signed, single-use, expiring link's row (email confirmations, payment pages)."""

    id: LinkTokenId
    purpose: str
    payload: str
    """Canonical JSON."""
    expires_at: str
    used_at: str | None


class ChannelRepository(Protocol):
    """Storage for links, threads, seen events, codes and link tokens (one transaction per call)."""

    def link(self, link: ChannelLink) -> None:
        """Create or replace the link of (channel, external_id)."""
        ...

    def unlink(self, channel: ChannelName, external_id: str) -> bool:
        """Remove a link; False when there was none."""
        ...

    def linked_customer(self, channel: ChannelName, external_id: str) -> str | None:
        """The customer a platform user is linked to, if any."""
        ...

    def links_of(self, customer_id: str) -> list[ChannelLink]:
        """Every platform identity of a customer, newest first."""
        ...

    def thread(self, channel: ChannelName, thread_key: str) -> ChannelThread | None:
        """The thread bound to a platform conversation, if any."""
        ...

    def thread_of(self, conversation_id: str) -> ChannelThread | None:
        """The platform thread a conversation lives in, if any."""
        ...

    def latest_thread(self, customer_id: str, channel: ChannelName | None = None) -> ChannelThread | None:
        """The customer's most recently active thread (on `channel` when given)."""
        ...

    def save_thread(self, thread: ChannelThread) -> None:
        """Insert or update a thread (keyed by channel and thread_key)."""
        ...

    def first_sighting(self, channel: ChannelName, event_id: str, seen_at: str) -> bool:
        """Record a platform event id; False when it was recorded before (a replay)."""
        ...

    def save_code(self, code: VerificationCode) -> None:
        """Store (replace) the pending code of a platform user."""
        ...

    def code(self, channel: ChannelName, external_id: str) -> VerificationCode | None:
        """The platform user's pending code, if any."""
        ...

    def count_attempt(self, channel: ChannelName, external_id: str) -> int:
        """One more wrong guess; returns the attempts so far."""
        ...

    def drop_code(self, channel: ChannelName, external_id: str) -> None:
        """Forget a pending code (used, expired or exhausted)."""
        ...

    def save_token(self, token: LinkToken) -> None:
        """Store a new link token."""
        ...

    def token(self, token_id: LinkTokenId) -> LinkToken | None:
        """A link token's row, if any."""
        ...

    def use_token(self, token_id: LinkTokenId, used_at: str) -> bool:
        """Mark a token used; False when it was used already (exactly one caller wins)."""
        ...

    def secret(self, name: str, make: str) -> str:
        """The stored secret `name`, storing `make` first when there is none (the first writer wins)."""
        ...


__all__ = [
    "ChannelLink",
    "ChannelName",
    "ChannelRepository",
    "ChannelThread",
    "LinkToken",
    "LinkTokenId",
    "VerificationCode",
]
