"""Customer identity verification, admin authentication and security headers.

Identity (DESIGN §8, Intercom-style): the host site computes
`user_hash = hex(HMAC-SHA256(PURSER_IDENTITY_SECRET, customer_id))` and the widget
sends it as `X-Purser-User-Hash`. With no secret configured (the demo) every
customer id is accepted and the server says so at start-up.

The live stream is opened by `EventSource`, which cannot send headers, and URLs end up in access logs:
so the widget trades its header hash for a stream token (`stream_token`: HMAC of the conversation, the
customer and an expiry five minutes ahead, under a key derived from the secret) and puts only that in
the stream's URL. A logged token opens one conversation's stream for minutes, never anything else.

Admin: `Authorization: Bearer $PURSER_ADMIN_TOKEN` (the bootstrap administrator), a person's API
token, or a dashboard session cookie with its CSRF token (`purser.web.people`, docs/PEOPLE.md).
Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from purser.web.errors import Unauthorized

USER_HASH_HEADER = "X-Purser-User-Hash"

STREAM_TOKEN_SECONDS = 300
"""How long a stream token opens its conversation's stream."""


def user_hash(secret: str, customer_id: str) -> str:
    """The identity hash a host site computes for `customer_id`."""
    return hmac.new(secret.encode("utf-8"), customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Identity verification settings."""

    secret: str | None

    @property
    def enabled(self) -> bool:
        """True when a secret is configured (production); False in the demo."""
        return bool(self.secret)

    def describe(self) -> str:
        """One log line on the identity mode."""
        if self.enabled:
            return "identity verification is ON: requests need X-Purser-User-Hash = HMAC-SHA256(secret, customer_id)"
        return (
            "identity verification is OFF (no PURSER_IDENTITY_SECRET): any visitor may act as any customer; "
            "demo mode only"
        )

    def verify(self, customer_id: str, presented: str | None) -> None:
        """Raise `Unauthorized` unless `presented` is the valid hash of `customer_id` (no-op in demo mode)."""
        if not self.secret:
            return
        if not presented:
            raise Unauthorized(f"missing {USER_HASH_HEADER} header: identity verification is on")
        expected = user_hash(self.secret, customer_id)
        if not hmac.compare_digest(expected.encode("ascii"), presented.strip().lower().encode("utf-8")):
            raise Unauthorized(f"{USER_HASH_HEADER} does not match the customer")

    def stream_token(self, customer_id: str, conversation_id: str, *, now: float | None = None) -> str | None:
        """A token opening this conversation's stream for `STREAM_TOKEN_SECONDS` (None in demo mode)."""
        if not self.secret:
            return None
        expires = int(time.time() if now is None else now) + STREAM_TOKEN_SECONDS
        return f"{expires}.{self._stream_signature(customer_id, conversation_id, expires)}"

    def verify_stream_token(
        self, customer_id: str, conversation_id: str, token: str | None, *, now: float | None = None
    ) -> None:
        """Raise `Unauthorized` unless `token` is this conversation's unexpired stream token (no-op in demo mode)."""
        if not self.secret:
            return
        if not token:
            raise Unauthorized(
                f"missing stream token: POST /api/conversations/{{id}}/stream-token with {USER_HASH_HEADER} first"
            )
        expires_text, _, signature = token.partition(".")
        if not expires_text.isdigit() or len(expires_text) > 12:
            raise Unauthorized("malformed stream token")
        expected = self._stream_signature(customer_id, conversation_id, int(expires_text))
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
            raise Unauthorized("the stream token is not valid for this conversation")
        if int(expires_text) <= int(time.time() if now is None else now):
            raise Unauthorized("the stream token expired: get a new one")

    def _stream_signature(self, customer_id: str, conversation_id: str, expires: int) -> str:
        assert self.secret
        # A key of its own (derived from the secret), so a stream token can never pass for a user hash.
        key = hmac.new(self.secret.encode("utf-8"), b"purser stream token v1", hashlib.sha256).digest()
        message = f"{conversation_id}\n{customer_id}\n{expires}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AdminAuth:
    """The admin bearer token."""

    token: str | None

    def verify(self, authorization: str | None) -> str:
        """Check the `Authorization` header; return the approver label. Raise `Unauthorized` otherwise."""
        if not self.token:
            raise Unauthorized("the admin API is disabled: set PURSER_ADMIN_TOKEN", code="admin_disabled")
        if not authorization:
            raise Unauthorized("missing Authorization: Bearer <admin token>")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization must be 'Bearer <admin token>'")
        if not hmac.compare_digest(value.strip().encode("utf-8"), self.token.encode("utf-8")):
            raise Unauthorized("wrong admin token")
        return "admin"


# -- security headers --------------------------------------------------------------------
_CSP_PAGES = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeaders:
    """Pure ASGI middleware adding conservative headers; pages (not the widget assets) refuse framing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if path in ("/", "/api/docs") or path.startswith("/admin"):
                    headers.append((b"content-security-policy", _CSP_PAGES.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                if path.startswith(("/api/admin", "/api/session")):  # people's data, CSRF tokens
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["STREAM_TOKEN_SECONDS", "USER_HASH_HEADER", "AdminAuth", "Identity", "SecurityHeaders", "user_hash"]
