"""The sandbox's mailer: builds its emails as MIME messages, remembers them, and delivers over SMTP when configured.

Wired by the bootstrap, the sandbox hands every recorded email to the outbox instead (`outgoing`
turns the sandbox's row and PDF into an `OutgoingEmail`; `purser.mail` delivers it as a job with
retries). This module remains the direct path for a processor built without an outbox: it keeps
each message in `Mailer.sent` and, when an SMTP URL is configured (`PURSER_SMTP_URL`, e.g.
`smtp://user:pass@127.0.0.1:1025`), hands it to the server (`purser.mail.smtp`).

A delivery failure never loses the sandbox's own email row: `send` reports it in `Delivery.error`
(or raises `MailDeliveryError` with `raise_on_failure=True`).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from purser.domain import Email
from purser.mail.smtp import MailDeliveryError, SmtpTarget, deliver, parse_smtp_url
from purser.ports.outbox import Attachment, OutgoingEmail
from purser.processors.sandbox.tax import DEFAULT_SELLER

__all__ = [
    "Delivery",
    "MailDeliveryError",
    "Mailer",
    "SmtpTarget",
    "configure",
    "deliver_outbox",
    "outgoing",
    "parse_smtp_url",
    "reset_configuration",
]

log = logging.getLogger(__name__)

SMTP_URL_ENV = "PURSER_SMTP_URL"
"""Environment variable read by `Mailer.from_env`."""


def outgoing(email: Email, attachment: bytes | None = None) -> OutgoingEmail:
    """The sandbox's email row (and PDF) as an outbox message from the sandbox's seller."""
    files: tuple[Attachment, ...] = ()
    if attachment is not None:
        name = email.attachment_name or f"{email.invoice_id or email.id}.pdf"
        files = (Attachment(filename=name, content_type="application/pdf", data=attachment),)
    return OutgoingEmail(
        to=email.to,
        subject=email.subject,
        text=email.body,
        kind=email.kind,
        customer_id=str(email.customer_id),
        sender=f"{DEFAULT_SELLER.name} <{DEFAULT_SELLER.email}>",
        attachments=files,
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one email."""

    message_id: str
    """The Message-ID header."""
    delivered: bool
    """True when an SMTP server accepted it."""
    error: str | None = None
    """Why delivery failed, when it did."""


class Mailer:
    """Builds, records and (optionally) delivers the sandbox's emails."""

    def __init__(
        self,
        smtp_url: str | None = None,
        *,
        sender: str = DEFAULT_SELLER.email,
        sender_name: str = DEFAULT_SELLER.name,
        timeout: float = 10.0,  # float-ok: seconds
        keep: int = 200,
    ) -> None:
        self.target = parse_smtp_url(smtp_url) if smtp_url else None
        self.sender = sender
        self.sender_name = sender_name
        self.timeout = timeout
        self._keep = keep
        self._lock = threading.Lock()
        self.sent: list[EmailMessage] = []
        """The most recent messages built (newest last), whether delivered or not."""

    @classmethod
    def from_env(cls, **kwargs: object) -> Mailer:
        """A mailer that delivers to `$PURSER_SMTP_URL` when it is set, and only records otherwise."""
        url = os.environ.get(SMTP_URL_ENV) or None
        return cls(url, **kwargs)  # type: ignore[arg-type]

    @property
    def delivers(self) -> bool:
        """True when an SMTP server is configured."""
        return self.target is not None

    def build(self, email: Email, *, attachment: bytes | None = None) -> EmailMessage:
        """The MIME message for an outbox row, with the PDF attached when given."""
        msg = EmailMessage()
        msg["From"] = f"{self.sender_name} <{self.sender}>"
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = format_datetime(email.sent_at)
        msg["Message-ID"] = make_msgid(idstring=email.id, domain=self.sender.rpartition("@")[2] or "purser.local")
        msg["X-Purser-Email-Id"] = email.id
        msg["X-Purser-Kind"] = email.kind
        if email.invoice_id:
            msg["X-Purser-Invoice"] = email.invoice_id
        msg.set_content(email.body)
        if attachment is not None:
            name = email.attachment_name or f"{email.invoice_id or email.id}.pdf"
            msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=name)
        return msg

    def send(self, email: Email, *, attachment: bytes | None = None, raise_on_failure: bool = False) -> Delivery:
        """Record `email` and deliver it when SMTP is configured; report (or raise) a failed delivery."""
        msg = self.build(email, attachment=attachment)
        with self._lock:
            self.sent.append(msg)
            del self.sent[: -self._keep]
        message_id = str(msg["Message-ID"])
        if self.target is None:
            return Delivery(message_id, delivered=False)
        try:
            deliver(self.target, msg, timeout=self.timeout)
        except MailDeliveryError as exc:
            log.warning("%s (email %s)", exc, email.id)
            if raise_on_failure:
                raise
            return Delivery(message_id, delivered=False, error=str(exc))
        return Delivery(message_id, delivered=True)


_module_lock = threading.Lock()
_default: Mailer | None = None
_default_url: str | None = None
_configured: tuple[str | None] | None = None


def configure(smtp_url: str | None) -> None:
    """Set the process-wide SMTP URL (the bootstrap passes `settings.smtp_url`); it wins over the environment.

    `configure(None)` turns delivery off; the environment is read again only after `reset_configuration()`.
    """
    global _configured
    if smtp_url:
        parse_smtp_url(smtp_url)  # fail early, naming what is wrong
    with _module_lock:
        _configured = (smtp_url or None,)


def reset_configuration() -> None:
    """Forget `configure`: the mailer follows `$PURSER_SMTP_URL` again."""
    global _configured
    with _module_lock:
        _configured = None


def deliver_outbox(email: Email, attachment: bytes | None = None) -> Delivery:
    """Hand an outbox row to the process-wide mailer.

    It delivers to the URL given to `configure`, else to `$PURSER_SMTP_URL`, else only records.
    """
    global _default, _default_url
    with _module_lock:
        url = _configured[0] if _configured is not None else (os.environ.get(SMTP_URL_ENV) or None)
        if _default is None or url != _default_url:
            _default, _default_url = Mailer(url), url
        mailer = _default
    return mailer.send(email, attachment=attachment)
