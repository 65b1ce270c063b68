"""Try the email channel without a mail provider: signed inbound mail, and a local SMTP sink for replies.

The inbound side of a real deployment is a mail relay (Postmark, SendGrid Inbound Parse, SES + a
small forwarder, a Postfix pipe) that POSTs each raw message to `/channels/email/inbound` with
`X-Purser-Signature: sha256=<hex HMAC-SHA256 of the body with channels.email.inbound_secret>`.
`inbound_email` writes such a message (RFC 822, as a mail client would) and `signed_headers` signs it
exactly as the relay must. Replies leave Purser over SMTP: `purser.testing.smtp.SmtpSink` is a real
SMTP server on 127.0.0.1 that keeps them.

    python -m purser.testing.email                     # an SMTP sink; prints the settings to use, then each reply
    python -m purser.testing.email send --from ada@example.com "What's my next charge?"
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from purser.channels.email import sign_body
from purser.testing.smtp import SmtpSink

if TYPE_CHECKING:
    from purser.app import Container


@dataclass(frozen=True, slots=True)
class Answer:
    """Purser's HTTP answer to a request."""

    status_code: int
    text: str
    headers: Mapping[str, str]


__all__ = ["Answer", "MailClient", "inbound_email", "main", "reply_text", "signed_headers"]

DEFAULT_SECRET = "try-the-email-channel"
"""The inbound secret of the local try-out (never use it for a real relay)."""

SUPPORT_ADDRESS = "support@purser.local"
"""The support address of the local try-out."""


def inbound_email(
    sender: str,
    text: str,
    *,
    subject: str = "Billing question",
    to: str = SUPPORT_ADDRESS,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """A raw RFC 822 message as a mail client sends it (text/plain, plus HTML when given)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    """The headers a relay sends with `body`: its content type and the HMAC signature."""
    return {"Content-Type": "message/rfc822", "X-Purser-Signature": sign_body(secret, body)}


def reply_text(message: EmailMessage) -> str:
    """The plain-text part of a reply."""
    part = message.get_body(preferencelist=("plain",))
    content = part.get_content() if part is not None else ""
    return content if isinstance(content, str) else ""


class MailClient:
    """A customer's mailbox against an in-process Purser: signed mail in through the web app, replies
    read back from the SMTP sink once the channel's turns and the outbox's delivery jobs have run."""

    def __init__(self, container: Container, sink: SmtpSink, *, secret: str) -> None:
        from fastapi.testclient import TestClient

        from purser.web.app import create_app

        self.container = container
        self.sink = sink
        self.secret = secret
        self.http = TestClient(create_app(container))
        self._read: dict[str, int] = {}

    def post(self, raw: bytes, *, signature: str | None = None) -> Answer:
        """POST a raw message to the inbound endpoint, signed (or with `signature` as given; "" for none)."""
        headers = signed_headers(self.secret, raw)
        if signature == "":
            del headers["X-Purser-Signature"]
        elif signature is not None:
            headers["X-Purser-Signature"] = signature
        return self._answer(self.http.post("/channels/email/inbound", content=raw, headers=headers))

    def open_link(self, url: str) -> Answer:
        """GET a link from an email, as a browser opens it."""
        return self._answer(self.http.get(self._path(url)))

    def press(self, url: str, decision: str) -> Answer:
        """Press Confirm (`yes`) or Cancel (`no`) on a confirmation page: its form POSTed as a browser does."""
        return self._answer(self.http.post(self._path(url), data={"decision": decision}))

    @staticmethod
    def _path(url: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @staticmethod
    def _answer(response: Any) -> Answer:
        return Answer(response.status_code, response.text, dict(response.headers))

    def write(
        self, sender: str, text: str, *, answering: EmailMessage | None = None, subject: str = "Billing question"
    ) -> Answer:
        """Send `text`; as a reply to `answering` (Re: subject, In-Reply-To, References) when given."""
        if answering is None:
            return self.post(inbound_email(sender, text, subject=subject))
        earlier = str(answering.get("References", "")).split()
        return self.post(
            inbound_email(
                sender,
                text,
                subject=str(answering["Subject"]),
                in_reply_to=str(answering["Message-ID"]),
                references=[*earlier, str(answering["Message-ID"])],
            )
        )

    def settle(self) -> None:
        """Wait for the channel's background turns and deliveries, then run the due email jobs."""
        channels = self.container.channels
        assert channels is not None, "the container has no channels configured"
        channels.drain()
        if self.container.jobs is not None:
            self.container.jobs.run_due()

    def replies(self, to: str) -> list[EmailMessage]:
        """The emails `to` received since the last call (after `settle`)."""
        self.settle()
        mine = [m for m in self.sink.messages if to.lower() in str(m.get("To", "")).lower()]
        start = self._read.get(to.lower(), 0)
        self._read[to.lower()] = len(mine)
        return mine[start:]


def _serve(port: int) -> int:
    sink = SmtpSink(port or None).start()
    print("SMTP sink listening. Point Purser at it (purser.yaml or the environment):")
    print(f"  export PURSER_CHANNELS__EMAIL__SMTP_URL={sink.url}")
    print(f"  export PURSER_CHANNELS__EMAIL__INBOUND_SECRET={DEFAULT_SECRET}")
    print(f"  export PURSER_CHANNELS__EMAIL__FROM_ADDRESS='Billing <{SUPPORT_ADDRESS}>'")
    print("then `purser serve`, and in another shell:")
    print("  python -m purser.testing.email send --from <a customer's email> \"What's my next charge?\"")
    print("Replies appear here. Ctrl-C to stop.")
    shown = 0
    try:
        while True:
            messages = sink.messages
            for message in messages[shown:]:
                print(f"\n--- {message['Subject']} → {message['To']} ({message['Message-ID']})\n{reply_text(message)}")
            shown = len(messages)
            sys.stdout.flush()
            time.sleep(0.5)  # float-ok: seconds
    except KeyboardInterrupt:
        return 0
    finally:
        sink.stop()


def _send(args: argparse.Namespace) -> int:
    import httpx

    body = inbound_email(
        args.sender,
        args.text,
        subject=args.subject,
        in_reply_to=args.in_reply_to,
        references=[args.in_reply_to] if args.in_reply_to else (),
    )
    url = args.url.rstrip("/") + "/channels/email/inbound"
    try:
        answer = httpx.post(url, content=body, headers=signed_headers(args.secret, body), timeout=10)
    except httpx.HTTPError as exc:
        print(f"could not reach {url}: {exc}", file=sys.stderr)
        return 1
    print(f"{answer.status_code} {answer.text}")
    return 0 if answer.is_success else 1


def main(argv: Iterable[str] | None = None) -> int:
    """`serve` (default): an SMTP sink printing replies; `send`: post one signed email to Purser."""
    parser = argparse.ArgumentParser(prog="python -m purser.testing.email", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run an SMTP sink on 127.0.0.1 and print every reply")
    serve.add_argument("--port", type=int, default=0, help="SMTP port (default: a free one)")
    send = commands.add_parser("send", help="post one signed inbound email to a running Purser")
    send.add_argument("--from", dest="sender", required=True, help="the customer's address")
    send.add_argument("--subject", default="Billing question")
    send.add_argument("--in-reply-to", default=None, help="the Message-ID this email answers")
    send.add_argument("--url", default=os.environ.get("PURSER_PUBLIC_URL", "http://127.0.0.1:8000"))
    send.add_argument("--secret", default=os.environ.get("PURSER_CHANNELS__EMAIL__INBOUND_SECRET", DEFAULT_SECRET))
    send.add_argument("text", help="what the customer writes")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "send":
        return _send(args)
    return _serve(getattr(args, "port", 0))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
