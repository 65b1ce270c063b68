"""In-process token buckets (per IP, per conversation) and the request body size limit.

Both are pure ASGI middleware or plain objects, so a refused request never
reaches a route and gets the JSON error envelope of `purser.web.errors`.
The buckets live in one process: with several workers each enforces its own
share, which is what a per-process guard against floods needs.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from purser.web.errors import PayloadTooLarge, RateLimited, error_body


@dataclass(frozen=True)
class Rate:
    """`burst` requests at once, refilled at `per_second`."""

    burst: float
    per_second: float


class TokenBuckets:
    """A bounded map of key -> token bucket. Thread-safe."""

    def __init__(self, rate: Rate, *, max_keys: int = 50_000, clock: object = time.monotonic) -> None:
        self.rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, stamp)
        self._lock = threading.Lock()

    def _now(self) -> float:
        clock = self._clock
        assert callable(clock)
        value = clock()
        assert isinstance(value, float | int)
        return float(value)

    def take(self, key: str, cost: float = 1.0) -> float:
        """Take `cost` tokens; return 0 when allowed, else the seconds until it would be."""
        now = self._now()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (self.rate.burst, now))
            tokens = min(self.rate.burst, tokens + (now - stamp) * self.rate.per_second)
            wait = 0.0
            if tokens >= cost:
                tokens -= cost
            else:
                wait = (cost - tokens) / self.rate.per_second if self.rate.per_second > 0 else math.inf
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait

    def check(self, key: str, what: str) -> None:
        """Raise `RateLimited` (with Retry-After) when `key` is out of tokens."""
        wait = self.take(key)
        if wait > 0:
            retry = max(1, math.ceil(wait)) if math.isfinite(wait) else 60
            raise RateLimited(
                f"too many requests for this {what}; retry in {retry} s", headers={"Retry-After": str(retry)}
            )


def client_ip(scope: Scope) -> str:
    """The peer address (proxies should be configured in uvicorn's --forwarded-allow-ips)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _send_json(send: Send, status: int, body: dict[str, object], headers: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


class IpRateLimit:
    """Per-IP token bucket on every `/api/` request."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/api/"):
            try:
                self.buckets.check(client_ip(scope), "address")
            except RateLimited as exc:
                await _send_json(send, exc.status, error_body(exc.status, exc.code, exc.message), exc.headers)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses bodies over `max_bytes` with 413: by Content-Length up front, else while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        message = f"request body is larger than {limit} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    text = message if declared >= 0 else "Content-Length is not a number"
                    status, code = (413, "payload_too_large") if declared >= 0 else (400, "bad_request")
                    await _send_json(send, status, error_body(status, code, text), {})
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge(message)
            return msg

        await self.app(scope, limited_receive, send)


__all__ = ["BodyLimit", "IpRateLimit", "Rate", "TokenBuckets", "client_ip"]
