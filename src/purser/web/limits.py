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
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from purser.web.errors import RateLimited, error_body


@dataclass(frozen=True)
class Rate:
    """`burst` requests at once, refilled at `per_second`."""

    burst: float
    per_second: float


class TokenBuckets:
    """A bounded map of key -> token bucket. Thread-safe.

    A bucket left alone long enough to refill is the same as no bucket, so idle ones are dropped:
    the map is kept in last-use order and each `take` pops the stale ones off its front (amortized
    O(1)), so memory follows the keys active within the refill time, not every key ever seen.
    `max_keys` still bounds a flood of distinct keys inside that window.
    """

    def __init__(self, rate: Rate, *, max_keys: int = 50_000, clock: object = time.monotonic) -> None:
        self.rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, stamp)
        self._lock = threading.Lock()
        # Seconds after which an untouched bucket is full again (never, for a rate that does not refill).
        self.idle_seconds = rate.burst / rate.per_second if rate.per_second > 0 else math.inf

    def __len__(self) -> int:
        """Keys holding a bucket now."""
        return len(self._buckets)

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
            self._expire(now)
        return wait

    def _expire(self, now: float) -> None:
        # Oldest use first: stop at the first bucket still refilling (or the one just taken).
        buckets = self._buckets
        horizon = now - self.idle_seconds
        while len(buckets) > 1:
            oldest = next(iter(buckets))
            if buckets[oldest][1] > horizon and len(buckets) <= self._max_keys:
                break
            del buckets[oldest]

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
    """Refuses bodies over `max_bytes` with 413: by Content-Length up front, else while buffering.

    Bodies are small (JSON events), so the body is read before the app runs and replayed to it;
    a chunked body over the limit is refused with a clean 413 instead of failing mid-parse.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, *, by_prefix: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_prefix = dict(by_prefix or {})
        """Other limits for paths under a prefix (inbound email carries whole MIME messages)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = next((n for prefix, n in self.by_prefix.items() if path.startswith(prefix)), self.max_bytes)
        too_large = error_body(413, "payload_too_large", f"request body is larger than {limit} bytes")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await _send_json(send, 400, error_body(400, "bad_request", "Content-Length is not a number"), {})
                    return
                if declared > limit:
                    await _send_json(send, 413, too_large, {})
                    return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            seen += len(body)
            if seen > limit:
                await _send_json(send, 413, too_large, {})
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


__all__ = ["BodyLimit", "IpRateLimit", "Rate", "TokenBuckets", "client_ip"]
