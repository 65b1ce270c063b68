"""The outbox's port: the one way anything in Purser sends an email (DESIGN §10).

`Outbox.send` stores the whole message in our database with a stable Message-ID and enqueues an
`email.deliver` job; the job hands it to the SMTP server (`PURSER_SMTP_URL`) with retries and
backoff. A message is never lost: while SMTP is down the row stays `queued` with the error and the
time of the next attempt. Sending the same `key` twice stores and delivers one message.

    outbox.send(OutgoingEmail(to="ada@example.com", subject="Your card was declined",
                              text="...", kind="dunning", customer_id="cus_1"),
                key="dunning:dc_1:0")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from purser.errors import PurserError

__all__ = [
    "Attachment",
    "InvalidEmail",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "OutgoingEmail",
]

OutboxStatus = Literal["queued", "sent", "failed"]
"""queued: waiting for (another) delivery attempt; sent: an SMTP server accepted it;
failed: out of attempts (kept with its last error; re-queue it to try again)."""

THREADING_HEADERS = frozenset({"In-Reply-To", "References", "Reply-To", "Auto-Submitted"})
"""The extra headers a sender may set (threading for the email channel; everything else is ours)."""


class InvalidEmail(PurserError, ValueError):
    """The message cannot be sent as given (no recipient, an empty subject, a header we do not allow)."""

    code = "invalid_email"
    status = 422


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file carried by an email (the sandbox's invoice PDF)."""

    filename: str
    """The name the recipient sees."""
    content_type: str
    """MIME type, e.g. application/pdf."""
    data: bytes
    """The file's bytes."""


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """A message to send: the whole of it, as the outbox stores it."""

    to: str
    """The recipient's address."""
    subject: str
    """The subject line."""
    text: str
    """The plain-text body (always present)."""
    kind: str
    """What it is for (`dunning`, `dunning_recovered`, `invoice`, `verification_code`, ...)."""
    html: str | None = None
    """An HTML alternative, when the sender has one."""
    customer_id: str | None = None
    """The customer it concerns, when there is one."""
    sender: str | None = None
    """The From address (`Name <addr>` allowed); the configured default when None."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Threading headers (`In-Reply-To`, `References`, `Reply-To`, `Auto-Submitted`)."""
    attachments: Sequence[Attachment] = ()
    """Files to attach."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One stored message and where its delivery stands."""

    id: str
    """ob_..."""
    key: str
    """The sender's idempotency key."""
    message_id: str
    """The Message-ID header, fixed when the row was written (receivers dedupe by it)."""
    email: OutgoingEmail
    """The message."""
    status: OutboxStatus
    """Where delivery stands."""
    attempts: int
    """Delivery attempts so far."""
    next_attempt_at: datetime | None
    """When the next attempt is due (None once sent or failed for good)."""
    last_error: str | None
    """Why the last attempt failed (server and reason; never a password)."""
    created_at: datetime
    """When it was stored."""
    delivered_at: datetime | None
    """When an SMTP server accepted it."""


class Outbox(Protocol):
    """Send email through the outbox; read back what was sent."""

    def send(self, email: OutgoingEmail, *, key: str) -> OutboxEntry:
        """Store `email` under `key` and enqueue its delivery; the stored entry when `key` was used before."""
        ...

    def get(self, outbox_id: str) -> OutboxEntry | None:
        """One entry by id."""
        ...

    def entries(self, *, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxEntry]:
        """The newest entries first (only those with `status` when given)."""
        ...
