"""A scripted LLM HTTP server on 127.0.0.1 for tests: OpenAI, Anthropic and Gemini wire formats.

The real provider clients (pydantic-ai's OpenAI, Anthropic and Google models, or any HTTP client)
talk to it unchanged; nothing is mocked. Each request takes the next item of the script and every
request is recorded, so a test can assert what the model was sent:

    from purser.testing.llm_server import LLMServer, openai_text, openai_tool_call

    with LLMServer("openai") as llm:
        llm.push(openai_tool_call("lookup_account", {}), openai_text("You were charged twice."))
        settings = Settings(models=[{"name": "fake", "provider": "openai", "model": "gpt-test",
                                     "base_url": llm.base_url, "api_key_env": "FAKE_KEY"}])
        ...
        assert llm.requests[0]["model"] == "gpt-test"

A request that asks for a stream (OpenAI/Anthropic `"stream": true`, Gemini
`:streamGenerateContent`) gets the same reply as Server-Sent Events over a chunked response
(`purser.testing.llm_stream`); `Reply.break_after` cuts the connection mid-stream. When the script
is exhausted the server answers `when_exhausted` (by default a 500 naming the problem).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from purser.testing.llm_replies import (
    Reply,
    Script,
    anthropic_error,
    anthropic_text,
    anthropic_tool_use,
    gemini_error,
    gemini_function_call,
    gemini_function_responses,
    gemini_text,
    openai_error,
    openai_text,
    openai_tool_call,
    openai_tool_messages,
    openai_user_messages,
    shaped,
)
from purser.testing.llm_stream import anthropic_events, gemini_events, openai_events

__all__ = [
    "Flavor",
    "LLMServer",
    "Reply",
    "Script",
    "anthropic_error",
    "anthropic_text",
    "anthropic_tool_use",
    "gemini_error",
    "gemini_function_call",
    "gemini_function_responses",
    "gemini_text",
    "openai_error",
    "openai_text",
    "openai_tool_call",
    "openai_tool_messages",
    "openai_user_messages",
    "shaped",
]

Flavor = Literal["openai", "anthropic", "google"]
"""Which vendor's wire format the server speaks (`google`: the Gemini API)."""

_ENCODERS = {"openai": openai_events, "anthropic": anthropic_events, "google": gemini_events}


def _exhausted(flavor: Flavor) -> Reply:
    message = "script exhausted: the test pushed fewer replies than the client made requests"
    return {"openai": openai_error, "anthropic": anthropic_error, "google": gemini_error}[flavor](500, message)


class LLMServer:
    """A scripted fake of one provider's API on 127.0.0.1 (a free port); start it or use it in `with`."""

    def __init__(
        self, flavor: Flavor = "openai", script: Iterable[Script] = (), *, when_exhausted: Script | None = None
    ) -> None:
        """`script`: the first replies; `when_exhausted`: the answer once they are used up (default a 500)."""
        if flavor not in _ENCODERS:
            raise ValueError(f"unknown flavor {flavor!r}: expected openai, anthropic or google")
        self.flavor: Flavor = flavor
        self.script: list[Script] = list(script)
        self.when_exhausted: Script = when_exhausted if when_exhausted is not None else _exhausted(flavor)
        self.requests: list[dict[str, Any]] = []
        """Every request body, in order."""
        self.paths: list[str] = []
        """Every request path (Gemini puts the model and the streaming choice there)."""
        self.streamed: list[bool] = []
        """Per request: whether the client asked for a stream."""
        self.headers: list[dict[str, str]] = []
        """Per request: its headers, lowercased names (e.g. the API key a client sent)."""
        self._lock = threading.Lock()
        self._started = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"llm-{flavor}", daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        """The base URL a provider is configured with (OpenAI clients expect the `/v1` prefix)."""
        root = f"http://127.0.0.1:{self.port}"
        return root + "/v1" if self.flavor == "openai" else root

    def push(self, *replies: Script) -> None:
        """Append replies to the script."""
        with self._lock:
            self.script.extend(replies)

    def push_texts(self, *texts: str) -> None:
        """Append plain text answers in this server's wire format."""
        builder = {"openai": openai_text, "anthropic": anthropic_text, "google": gemini_text}[self.flavor]
        self.push(*(builder(text) for text in texts))

    def start(self) -> LLMServer:
        """Start serving in a background thread."""
        if not self._started:
            self._started = True
            self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._started:
            self.server.shutdown()
            self._started = False
        self.server.server_close()
        if self.thread.ident is not None:
            self.thread.join(timeout=5)

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _next(self, path: str, body: dict[str, Any], streamed: bool, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            self.streamed.append(streamed)
            self.headers.append(headers)
            item = self.script.pop(0) if self.script else self.when_exhausted
        return item(body) if callable(item) else item

    def _events(self, reply: Reply) -> list[bytes] | None:
        return _ENCODERS[self.flavor](reply.body or {})


def _handler(fake: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # chunked streams (every response still closes its connection)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"_unparsed": raw.decode("utf-8", "replace")}
            wants_stream = body.get("stream") is True or ":streamGenerateContent" in self.path
            reply = fake._next(self.path, body, wants_stream, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay:
                time.sleep(reply.delay)
            events = fake._events(reply) if wants_stream and reply.status == 200 else None
            if events is not None:
                self._stream(events, reply)
                return
            payload = json.dumps(reply.body if reply.body is not None else {}).encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("connection", "close")  # no pooled connection outlives a test
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                return

        def _stream(self, events: list[bytes], reply: Reply) -> None:
            try:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.send_header("connection", "close")
                self.end_headers()
                for sent, event in enumerate(events):
                    if reply.break_after is not None and sent >= reply.break_after:
                        self.close_connection = True  # no terminating chunk: an incomplete body
                        return
                    self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    self.wfile.flush()
                    if reply.pace:
                        time.sleep(reply.pace)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler
