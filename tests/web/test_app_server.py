"""`QuietServer` (what `purser serve` runs): serves like uvicorn's server, ticks rarely while idle, and a
signal stops it at once rather than at its next tick."""

from __future__ import annotations

import http.client
import signal
import socket
import threading
import time

import pytest
import uvicorn
from sse_starlette.sse import AppStatus
from starlette.types import Receive, Scope, Send

from purser.web.server import QuietServer


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_serves_and_a_signal_stops_it_long_before_its_next_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    # sse-starlette hooks uvicorn's `handle_exit` to end every open stream of the process: undone after.
    monkeypatch.setattr(AppStatus, "should_exit", False)
    port = _free_port()
    server = QuietServer(uvicorn.Config(hello, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    server.tick_seconds = 60.0  # float-ok: seconds; a stop that waited for the tick would take a minute
    thread = threading.Thread(target=server.run, daemon=True)  # off the main thread: no signal handlers
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b"hello"
    assert response.getheader("date")  # uvicorn's Date header is still set at start-up and every tick
    conn.close()
    asked = time.monotonic()
    server.handle_exit(signal.SIGINT, None)  # what the SIGINT/SIGTERM handler calls
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 5.0
