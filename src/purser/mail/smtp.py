"""SMTP delivery: parse `PURSER_SMTP_URL` and hand one MIME message to the server with `smtplib`.

URL schemes: `smtp://` (plain; add `?starttls=yes` to upgrade), `smtps://` (implicit TLS), with
optional `user:password@` (URL-encoded). A failure raises `MailDeliveryError` naming the server and
the reason, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from purser.errors import PurserError

__all__ = ["MailDeliveryError", "SmtpTarget", "deliver", "parse_smtp_url"]


class MailDeliveryError(PurserError, RuntimeError):
    """The SMTP server could not be reached or refused the message (retry later: 503)."""

    code = "mail_undeliverable"
    status = 503


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how to deliver."""

    host: str
    """Server host."""
    port: int
    """Server port."""
    username: str | None = None
    """Login, if the server wants one."""
    password: str | None = None
    """Password (URL-decoded)."""
    tls: bool = False
    """Implicit TLS (smtps)."""
    starttls: bool = False
    """Upgrade a plain connection with STARTTLS."""

    def __repr__(self) -> str:  # never print the password
        return f"SmtpTarget(host={self.host!r}, port={self.port}, username={self.username!r}, tls={self.tls})"

    @property
    def address(self) -> str:
        """host:port, for messages."""
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse `smtp://user:pass@host:port` (or `smtps://...`); `ValueError` names what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"smtp_url: expected a URL like smtp://user:pass@127.0.0.1:1025, got scheme {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("smtp_url: expected a host, e.g. smtp://127.0.0.1:1025")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ValueError("smtp_url: the port must be a number between 1 and 65535") from None
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["no"])[-1].lower() in ("1", "yes", "true", "on")
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "smtps",
        starttls=starttls,
    )


def deliver(target: SmtpTarget, msg: EmailMessage, *, timeout: float = 10.0) -> None:  # float-ok: seconds
    """Hand `msg` to the server; `MailDeliveryError` when it cannot be reached or refuses it."""
    try:
        smtp: smtplib.SMTP
        if target.tls:
            smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if target.starttls and not target.tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if target.username:
                smtp.login(target.username, target.password or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        reason = _reason(exc, target)
        raise MailDeliveryError(f"SMTP delivery to {target.address} failed: {reason}") from None


def _reason(exc: BaseException, target: SmtpTarget) -> str:
    text = str(exc) or type(exc).__name__
    if target.password:
        text = text.replace(target.password, "***")  # a server may echo what it was sent
    return f"{type(exc).__name__}: {text}"
