"""A local WhatsApp Cloud API on 127.0.0.1, and webhooks signed exactly as Meta signs them.

`WhatsAppServer` answers `POST /{version}/{phone_number_id}/messages` as the Graph API does:
bearer-token auth (`190` when the token is wrong), the message shapes and limits checked (`100`
invalid parameter: reply buttons at most 3 with titles of at most 20 characters, list rows at most
10 with titles of at most 24, interactive bodies at most 1024 characters, text at most 4096),
templates by name (`132001` for an unknown one) and the 24-hour customer service window
(`131047` for a free-form message to someone who has not written for a day). Successes answer
`{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}`.
Every call is recorded (`calls`) for tests and the gym's driver.

The `*_webhook` helpers build what Meta posts to Purser: the `whatsapp_business_account` payload
and its `X-Hub-Signature-256` (HMAC-SHA256 of the body with the app secret); building a customer
message also opens that customer's service window on this server, as a real message would.

Try the channel without an account: `python -m purser.testing.whatsapp` (see `__main__` below).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from purser.config import WhatsAppSettings
from purser.testing._whatsapp_rules import GraphError, check_message

__all__ = ["GraphCall", "SignedWebhook", "WhatsAppServer", "sign_body"]

API_VERSION = "v21.0"
SERVICE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class GraphCall:
    """One request Purser made to the Graph API, and how it was answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    status: int
    message_id: str | None
    """The `wamid` given to an accepted message; None when the call was refused."""

    @property
    def to(self) -> str:
        """The recipient's number (empty when the body had none)."""
        return str(self.body.get("to", "")) if isinstance(self.body, dict) else ""


@dataclass(frozen=True, slots=True)
class SignedWebhook:
    """A webhook POST as Meta sends it: the raw body and its headers (with `X-Hub-Signature-256`)."""

    body: bytes
    headers: dict[str, str]
    message_id: str


def sign_body(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` value of a body: `sha256=<hex HMAC-SHA256 with the app secret>`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class WhatsAppServer:
    """The Graph API's messages endpoint for one business number, on 127.0.0.1 (port 0: any free port)."""

    access_token: str = "local-whatsapp-access-token"
    phone_number_id: str = "106540352242922"
    app_secret: str = "local-whatsapp-app-secret"
    verify_token: str = "local-whatsapp-verify-token"
    templates: tuple[str, ...] = ("purser_update",)
    """Approved template names; sending any other is refused with 132001."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_call: Callable[[GraphCall], None] | None = None
    """Called with each recorded call (the try-out prints them)."""
    outage: Callable[[Any], bool] | None = None
    """A message body for which this returns True is answered 503, code 2 (service unavailable)."""
    port: int = 0
    """The port to listen on (0: any free port)."""
    calls: list[GraphCall] = field(default_factory=list)
    _last_inbound: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> WhatsAppServer:
        """Listen on 127.0.0.1 (a free port) in a daemon thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = server._handle("POST", self.path, dict(self.headers.items()), raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `calls`
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        poll = 0.05  # float-ok: seconds between shutdown checks (the default half second slows every test)
        threading.Thread(target=self._httpd.serve_forever, args=(poll,), name="whatsapp-graph", daemon=True).start()
        return self

    def close(self) -> None:
        """Stop listening."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> WhatsAppServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def api_base(self) -> str:
        """What goes in `channels.whatsapp.api_base`: `http://127.0.0.1:<port>/v21.0/`."""
        if self._httpd is None:
            raise RuntimeError("the WhatsApp server is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{API_VERSION}/"

    def settings(self, *, template: str | None = "purser_update", template_language: str = "en") -> WhatsAppSettings:
        """`channels.whatsapp` pointing at this server with its secrets."""
        return WhatsAppSettings(
            app_secret=self.app_secret,
            verify_token=self.verify_token,
            access_token=self.access_token,
            phone_number_id=self.phone_number_id,
            api_base=self.api_base,
            template=template,
            template_language=template_language,
        )

    def recorded(self, *, to: str | None = None, since: int = 0) -> list[GraphCall]:
        """Accepted and refused calls (from index `since`, to one number when given)."""
        with self._lock:
            calls = self.calls[since:]
        return [c for c in calls if to is None or c.to == to]

    def since(self, index: int) -> tuple[list[GraphCall], int]:
        """The calls recorded from `index` on, and the index to read from next time."""
        with self._lock:
            return self.calls[index:], len(self.calls)

    def customer_wrote(self, wa_id: str, at: datetime | None = None) -> None:
        """Open (or renew) a customer's 24-hour service window, as their message does."""
        with self._lock:
            self._last_inbound[wa_id] = at or self.clock()

    # -- the Graph API ----------------------------------------------------------------------------
    def _handle(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            message_id = self._accept(path, lowered, body)
        except GraphError as exc:
            self._record(GraphCall(method, path, lowered, body, exc.status, None))
            return exc.status, exc.answer()
        self._record(GraphCall(method, path, lowered, body, 200, message_id))
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": message_id}],
        }
        if body.get("type") == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return 200, answer

    def _record(self, call: GraphCall) -> None:
        with self._lock:
            self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    def _accept(self, path: str, headers: Mapping[str, str], body: Any) -> str:
        if headers.get("authorization", "") != f"Bearer {self.access_token}":
            raise GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token", type="OAuthException")
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) != 3 or parts[2] != "messages" or not parts[0].startswith("v"):
            raise GraphError(400, 100, f"Unknown path components: /{'/'.join(parts[1:])}")
        if parts[1] != self.phone_number_id:
            raise GraphError(
                400, 100, f"Unsupported post request. Object with ID '{parts[1]}' does not exist", subcode=33
            )
        check_message(body, templates=self.templates)
        if self.outage is not None and self.outage(body):
            raise GraphError(503, 2, "Service temporarily unavailable", type="OAuthException")
        if body["type"] != "template":
            with self._lock:
                last = self._last_inbound.get(body["to"])
            if last is None or self.clock() - last >= SERVICE_WINDOW:
                raise GraphError(
                    400,
                    131047,
                    "Re-engagement message",
                    details="Message failed to send because more than 24 hours have passed since the customer "
                    "last replied to this number.",
                )
        return "wamid." + secrets.token_urlsafe(24)

    # -- webhooks Meta would post to Purser -------------------------------------------------------
    def webhook(
        self,
        messages: Iterable[dict[str, Any]] = (),
        *,
        statuses: Iterable[dict[str, Any]] = (),
        contacts: Iterable[dict[str, Any]] = (),
    ) -> SignedWebhook:
        """A signed `whatsapp_business_account` webhook carrying `messages` / `statuses` for our number."""
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": self.phone_number_id},
        }
        contacts, messages, statuses = list(contacts), list(messages), list(statuses)
        if contacts:
            value["contacts"] = contacts
        if messages:
            value["messages"] = messages
        if statuses:
            value["statuses"] = statuses
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
        }
        body = json.dumps(payload).encode()
        first = messages[0]["id"] if messages else ""
        return SignedWebhook(body=body, headers=self.signed_headers(body), message_id=str(first))

    def signed_headers(self, body: bytes) -> dict[str, str]:
        """The headers Meta sends with a webhook body."""
        return {"content-type": "application/json", "x-hub-signature-256": sign_body(body, self.app_secret)}

    def message(
        self,
        wa_id: str,
        kind: str,
        content: dict[str, Any],
        *,
        at: datetime | None = None,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        """One inbound message object (`messages[]`); it opens the sender's service window here."""
        sent = at or self.clock()
        self.customer_wrote(wa_id, sent)
        return {
            "from": wa_id,
            "id": message_id or "wamid." + secrets.token_urlsafe(24),
            "timestamp": str(int(sent.timestamp())),
            "type": kind,
            kind: content,
        }

    def text_webhook(
        self,
        wa_id: str,
        text: str,
        *,
        name: str = "WhatsApp customer",
        at: datetime | None = None,
        message_id: str | None = None,
    ) -> SignedWebhook:
        """A customer's text message, signed."""
        message = self.message(wa_id, "text", {"body": text}, at=at, message_id=message_id)
        return self.webhook([message], contacts=[{"profile": {"name": name}, "wa_id": wa_id}])

    def reply_webhook(
        self,
        wa_id: str,
        reply_id: str,
        title: str,
        *,
        list_reply: bool = False,
        context_id: str = "",
        at: datetime | None = None,
        message_id: str | None = None,
    ) -> SignedWebhook:
        """A customer's tap on a reply button (or a list row), signed, as WhatsApp reports it."""
        kind = "list_reply" if list_reply else "button_reply"
        message = self.message(
            wa_id, "interactive", {"type": kind, kind: {"id": reply_id, "title": title}}, at=at, message_id=message_id
        )
        if context_id:
            message["context"] = {"from": "15550783881", "id": context_id}
        return self.webhook([message], contacts=[{"profile": {"name": "WhatsApp customer"}, "wa_id": wa_id}])

    def media_webhook(self, wa_id: str, kind: str = "image", *, message_id: str | None = None) -> SignedWebhook:
        """A customer's media message (image, audio, ...), signed."""
        content = {"mime_type": "image/jpeg", "sha256": "0" * 64, "id": str(time.time_ns())}
        message = self.message(wa_id, kind, content, message_id=message_id)
        return self.webhook([message], contacts=[{"profile": {"name": "WhatsApp customer"}, "wa_id": wa_id}])

    def status_webhook(self, wa_id: str, message_id: str, status: str = "delivered") -> SignedWebhook:
        """A delivery status of a message Purser sent, signed."""
        entry = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.clock().timestamp())),
            "recipient_id": wa_id,
        }
        return self.webhook(statuses=[entry])


if __name__ == "__main__":
    from purser.testing._whatsapp_tryout import main

    raise SystemExit(main())
