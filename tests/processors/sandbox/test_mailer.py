"""The mailer records every email and delivers it over real SMTP to a local server started here."""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from purser.domain import CustomerId, Email, InvoiceId
from purser.processors.sandbox import mailer as mailer_module
from purser.processors.sandbox.mailer import (
    MailDeliveryError,
    Mailer,
    configure,
    deliver_outbox,
    parse_smtp_url,
    reset_configuration,
)


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    auth: str | None


@dataclass
class Sink:
    port: int
    received: list[Received] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    """A minimal SMTP server: EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    sink: Sink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        sender, recipients, auth = "", [], None
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-sink")
                self.reply("250 AUTH PLAIN LOGIN")
            elif verb == "AUTH":
                parts = line.split()
                if parts[1].upper() == "PLAIN":
                    token = parts[2] if len(parts) > 2 else self._ask("334 ")
                    _, user, password = base64.b64decode(token).decode().split("\0")
                else:
                    user = base64.b64decode(self._ask("334 VXNlcm5hbWU6")).decode()
                    password = base64.b64decode(self._ask("334 UGFzc3dvcmQ6")).decode()
                if password != "s3cret:pw":
                    self.reply("535 authentication failed")
                    continue
                auth = user
                self.reply("235 ok")
            elif verb == "MAIL":
                sender = line.split(":", 1)[1].strip().split()[0].strip("<>")
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with .")
                chunks = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    chunks.append(data[1:] if data.startswith(b"..") else data)
                msg = email.message_from_bytes(b"".join(chunks), policy=email.policy.default)
                assert isinstance(msg, EmailMessage)
                self.sink.received.append(Received(sender, recipients, msg, auth))
                recipients = []
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def _ask(self, prompt: str) -> str:
        self.reply(prompt)
        return self.rfile.readline().decode().strip()


@pytest.fixture
def sink() -> Iterator[Sink]:
    class Handler(_Handler):
        pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    result = Sink(port=server.server_address[1])
    Handler.sink = result
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def outbox_row(**overrides: object) -> Email:
    values: dict[str, object] = {
        "id": "em_1",
        "customer_id": CustomerId("cus_acme"),
        "to": "compta@acme.example",
        "kind": "invoice",
        "subject": "Invoice ACME-0005",
        "body": "Your invoice is attached.",
        "sent_at": datetime(2026, 11, 16, tzinfo=UTC),
        "invoice_id": InvoiceId("in_acme_10"),
        "attachment_name": "ACME-0005.pdf",
    }
    values.update(overrides)
    return Email(**values)  # type: ignore[arg-type]


PDF = b"%PDF-1.4 fake but bytes\n%%EOF"


def test_records_without_smtp() -> None:
    mailer = Mailer()
    delivery = mailer.send(outbox_row(), attachment=PDF)
    assert not delivery.delivered and delivery.error is None
    assert not mailer.delivers
    msg = mailer.sent[-1]
    assert msg["To"] == "compta@acme.example" and msg["X-Purser-Invoice"] == "in_acme_10"
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "ACME-0005.pdf" and part.get_content() == PDF


def test_delivers_over_smtp_with_login_and_pdf(sink: Sink) -> None:
    mailer = Mailer(f"smtp://billing%40purser:s3cret%3Apw@127.0.0.1:{sink.port}")
    delivery = mailer.send(outbox_row(), attachment=PDF)
    assert delivery.delivered, delivery.error
    [got] = sink.received
    assert got.auth == "billing@purser"
    assert got.recipients == ["compta@acme.example"]
    assert got.sender == mailer.sender
    assert got.message["Subject"] == "Invoice ACME-0005"
    assert got.message["Message-ID"] == delivery.message_id
    body = got.message.get_body(preferencelist=("plain",))
    assert body is not None and "attached" in body.get_content()
    [attachment] = list(got.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_delivers_without_auth(sink: Sink) -> None:
    delivery = Mailer(f"smtp://127.0.0.1:{sink.port}").send(
        outbox_row(invoice_id=None, attachment_name=None, kind="cancellation")
    )
    assert delivery.delivered
    assert sink.received[0].auth is None
    assert sink.received[0].message["X-Purser-Kind"] == "cancellation"
    assert not list(sink.received[0].message.iter_attachments())


def test_refused_login_and_unreachable_server_are_reported(sink: Sink) -> None:
    bad = Mailer(f"smtp://u:wrong@127.0.0.1:{sink.port}")
    delivery = bad.send(outbox_row())
    assert not delivery.delivered and delivery.error and "failed" in delivery.error
    assert bad.sent, "the email is recorded even when delivery fails"
    with pytest.raises(MailDeliveryError):
        bad.send(outbox_row(), raise_on_failure=True)
    # A port nobody listens on: connection refused.
    closed = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    port = closed.server_address[1]
    closed.server_close()
    assert not Mailer(f"smtp://127.0.0.1:{port}", timeout=2).send(outbox_row()).delivered


def test_deliver_outbox_reads_the_environment(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PURSER_SMTP_URL", f"smtp://127.0.0.1:{sink.port}")
    monkeypatch.setattr(mailer_module, "_default", None)
    assert deliver_outbox(outbox_row(), PDF).delivered
    monkeypatch.delenv("PURSER_SMTP_URL")
    assert not deliver_outbox(outbox_row()).delivered
    assert len(sink.received) == 1


def test_configure_wins_over_the_environment(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PURSER_SMTP_URL", "smtp://127.0.0.1:9")  # nothing listens there
    try:
        configure(f"smtp://127.0.0.1:{sink.port}")
        assert deliver_outbox(outbox_row()).delivered
        configure(None)
        assert not deliver_outbox(outbox_row()).delivered
        with pytest.raises(ValueError, match="smtp_url"):
            configure("http://nope")
    finally:
        reset_configuration()
    assert len(sink.received) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://x", "expected a URL like smtp://"), ("smtp://", "expected a host"), ("smtp://h:99999", "port")],
)
def test_bad_smtp_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_smtp_url(url)


def test_smtp_url_parsing_hides_the_password() -> None:
    target = parse_smtp_url("smtps://me:p%40ss@mail.example:2465")
    assert (target.host, target.port, target.username, target.password, target.tls) == (
        "mail.example",
        2465,
        "me",
        "p@ss",
        True,
    )
    assert "p@ss" not in repr(target)
    assert parse_smtp_url("smtp://h?starttls=yes").starttls
