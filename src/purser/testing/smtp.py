"""A local SMTP sink for tests and demos: a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it gets.

    with SmtpSink() as sink:                  # listening on 127.0.0.1:<free port>
        settings = Settings(smtp_url=sink.url)
        ...
        sink.wait_for(1)                      # block until one message arrived (or TimeoutError)
        [msg] = sink.messages                 # email.message.EmailMessage, parsed
        sink.stop(); ...; sink.start()        # SMTP down, then up again on the same port

`SmtpSink(delay_milliseconds=200)` answers each message only after that long (a slow server).
`refuse_next(n)` makes the next n transactions fail with `451` (a temporary server error) without
going down. `accepted_ids()` counts Message-IDs, so a test can check nothing was sent twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["Received", "SmtpSink"]


@dataclass(frozen=True, slots=True)
class Received:
    """One accepted SMTP transaction."""

    sender: str
    """MAIL FROM."""
    recipients: tuple[str, ...]
    """RCPT TO."""
    message: EmailMessage
    """The parsed message."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.sink.delay_milliseconds:
            await asyncio.sleep(self.sink.delay_milliseconds / 1000)
        return self.sink._accept(envelope)


class SmtpSink:
    """A real SMTP server on 127.0.0.1 recording every message it accepts."""

    def __init__(self, port: int | None = None, *, delay_milliseconds: int = 0) -> None:
        self.port = port or _free_port()
        self.delay_milliseconds = delay_milliseconds
        """How long each DATA command takes (a slow server, so a test can kill a client mid-delivery)."""
        self.received: list[Received] = []
        self._lock = threading.Condition()
        self._refuse = 0
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """`smtp://127.0.0.1:<port>`, for `PURSER_SMTP_URL`."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, oldest first."""
        with self._lock:
            return [r.message for r in self.received]

    def start(self) -> SmtpSink:
        """Listen (again) on the sink's port."""
        if self._controller is None:
            controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused until `start`)."""
        if self._controller is not None:
            self._controller.stop()
            # aiosmtpd made the loop and stops it, but never closes it: its self-pipe sockets would be
            # left for the garbage collector (a ResourceWarning in whatever test runs then).
            if not self._controller.loop.is_closed():
                self._controller.loop.close()
            self._controller = None

    def refuse_next(self, count: int) -> None:
        """Answer the next `count` DATA commands with 451 (temporary failure)."""
        with self._lock:
            self._refuse = count

    def accepted_ids(self) -> Counter[str]:
        """How many times each Message-ID was accepted."""
        with self._lock:
            return Counter(str(r.message["Message-ID"]) for r in self.received)

    def wait_for(self, count: int, *, timeout_seconds: int = 10) -> list[EmailMessage]:
        """Block until at least `count` messages arrived; `TimeoutError` naming how many did."""
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} messages at the SMTP sink, got {len(self.received)}")
                self._lock.wait(left)
            return [r.message for r in self.received]

    def _accept(self, envelope: Any) -> str:
        with self._lock:
            if self._refuse > 0:
                self._refuse -= 1
                return "451 4.3.0 try again later"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), parsed))
            self._lock.notify_all()
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
