"""localstripe (a third-party fake Stripe server) in memory on 127.0.0.1, and a replaying HTTP client."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from stripe import HTTPClient

FIXTURES = Path(os.environ["PURSER_SHARED"]) / "stripe" / "fixtures3.json"


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """localstripe's aiohttp app bound to 127.0.0.1 on a free port (its CLI binds every interface)."""
    import warnings

    from aiohttp import web

    with warnings.catch_warnings():
        # localstripe registers plain-function handlers, which aiohttp deprecates; not our code.
        warnings.simplefilter("ignore", DeprecationWarning)
        import localstripe.server as server

    holder: list[Any] = []
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(server.app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        holder.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        holder.append(runner)
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not holder and time.monotonic() < deadline:
        time.sleep(0.02)
    assert holder, "localstripe did not start"
    yield f"http://127.0.0.1:{holder[0]}"
    runner = holder[1]
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()  # closes the loop's self-pipe sockets (else a ResourceWarning surfaces in a later test)


def stripe_fixture(name: str) -> dict[str, Any]:
    """One of Stripe's own example objects."""
    data: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"][name]
    return json.loads(json.dumps(data))


class ReplayHTTPClient(HTTPClient):
    """Answers each request from a queue of (method, path, body) responses and records what was sent."""

    name = "replay"

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[tuple[str, str, int, dict[str, Any]]] = []
        self.requests: list[dict[str, Any]] = []

    def expect(self, method: str, path: str, body: dict[str, Any], status: int = 200) -> None:
        """Queue the response to the next request, which must be `method path`."""
        self.responses.append((method.upper(), path, status, body))

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, dict[str, str]]:
        parsed = urlparse(url)
        raw = post_data.decode() if isinstance(post_data, bytes) else (post_data or parsed.query)
        params = parse_qs(raw, keep_blank_values=True)
        self.requests.append(
            {"method": method.upper(), "path": parsed.path, "params": params, "headers": dict(headers or {})}
        )
        assert self.responses, f"unexpected request {method.upper()} {parsed.path}"
        want_method, want_path, status, body = self.responses.pop(0)
        assert (method.upper(), parsed.path) == (want_method, want_path), (method, parsed.path)
        return json.dumps(body), status, {"request-id": f"req_{len(self.requests)}"}

    def request_stream(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - not used
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to close."""
