"""The MIME message of an outbox entry: headers (a fixed Message-ID), text, optional HTML, attachments."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from purser.ports.outbox import THREADING_HEADERS, InvalidEmail, OutboxEntry, OutgoingEmail

__all__ = ["DEFAULT_SENDER", "check_email", "mime_message"]

DEFAULT_SENDER = "Purser Billing <billing@purser.local>"
"""The From address when neither the message nor the configuration names one."""


def check_email(email: OutgoingEmail) -> None:
    """`InvalidEmail` naming what is wrong (nothing is stored for a bad message)."""
    if not email.to or "@" not in email.to or any(c in email.to for c in "\r\n,;"):
        raise InvalidEmail(f"email {email.kind!r}: the recipient {email.to!r} is not one email address")
    if not email.subject.strip() or "\n" in email.subject or "\r" in email.subject:
        raise InvalidEmail(f"email {email.kind!r}: the subject must be one non-empty line")
    if not email.kind.strip():
        raise InvalidEmail("email: the kind must not be empty")
    for name, value in email.headers.items():
        if name not in THREADING_HEADERS:
            allowed = ", ".join(sorted(THREADING_HEADERS))
            raise InvalidEmail(f"email {email.kind!r}: header {name!r} is not allowed (only {allowed})")
        if "\n" in value or "\r" in value:
            raise InvalidEmail(f"email {email.kind!r}: header {name!r} must be one line")
    for part in email.attachments:
        if "/" not in part.content_type or not part.filename.strip():
            raise InvalidEmail(f"email {email.kind!r}: attachment {part.filename!r} needs a name and a MIME type")


def mime_message(entry: OutboxEntry, *, default_sender: str = DEFAULT_SENDER) -> EmailMessage:
    """The message as it goes over SMTP; the same bytes-for-headers on every attempt (Message-ID, Date)."""
    email = entry.email
    msg = EmailMessage()
    msg["From"] = email.sender or default_sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(entry.created_at)
    msg["Message-ID"] = entry.message_id
    for name, value in sorted(email.headers.items()):
        msg[name] = value
    msg["X-Purser-Kind"] = email.kind
    msg["X-Purser-Outbox-Id"] = entry.id
    msg.set_content(email.text)
    if email.html:
        msg.add_alternative(email.html, subtype="html")
    for part in email.attachments:
        maintype, _, subtype = part.content_type.partition("/")
        msg.add_attachment(part.data, maintype=maintype, subtype=subtype, filename=part.filename)
    return msg
