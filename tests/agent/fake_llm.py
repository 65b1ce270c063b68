"""Fake LLM HTTP servers on 127.0.0.1: OpenAI Chat Completions, Anthropic Messages and Gemini.

Each server replays a script of replies (status + JSON body, or a function of the request body)
and records every request, so tests can assert what the model was sent. A request that asks for
a stream gets the same reply as real Server-Sent Events over a chunked response, in the vendor's
wire format (`fake_stream`); `Reply.break_after` closes the connection mid-stream.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

try:
    from fake_stream import anthropic_events, gemini_events, openai_events
except ImportError:  # imported as tests.agent.fake_llm (the web tests)
    from tests.agent.fake_stream import anthropic_events, gemini_events, openai_events

Flavor = Literal["openai", "anthropic", "google"]


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: dict[str, Any] | None = None
    delay: float = 0.0
    break_after: int | None = None  # streamed: close the connection after this many SSE messages
    pace: float = 0.0  # streamed: seconds between SSE messages


Script = Reply | Callable[[dict[str, Any]], Reply]


class FakeLLM:
    """A scripted fake of one provider's API."""

    def __init__(self, flavor: Flavor) -> None:
        self.flavor = flavor
        self.script: list[Script] = []
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.streamed: list[bool] = []  # per request: whether the client asked for a stream
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked streams (every response still closes its connection)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
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
                    self.send_header("connection", "close")  # no pooled connections outlive a test
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        """The base URL a provider is configured with."""
        root = f"http://127.0.0.1:{self.port}"
        return root + "/v1" if self.flavor == "openai" else root

    def push(self, *replies: Script) -> None:
        """Append replies to the script."""
        with self._lock:
            self.script.extend(replies)

    def _next(self, path: str, body: dict[str, Any], streamed: bool, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            self.streamed.append(streamed)
            self.headers.append(headers)
            if not self.script:
                return Reply(500, {"error": {"message": "script exhausted", "type": "server_error"}})
            item = self.script.pop(0)
        return item(body) if callable(item) else item

    def _events(self, reply: Reply) -> list[bytes] | None:
        body = reply.body or {}
        encode = {"openai": openai_events, "anthropic": anthropic_events, "google": gemini_events}[self.flavor]
        return encode(body)

    def start(self) -> FakeLLM:
        """Start serving in a thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# -- OpenAI Chat Completions ----------------------------------------------------------------------
def _usage_openai(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def openai_tool_call(
    name: str, arguments: dict[str, Any] | str, *, call_id: str = "call_1", prompt: int = 100, completion: int = 20
) -> Script:
    """A chat completion calling one tool (arguments as a dict, or raw text for malformed JSON)."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)

    def reply(body: dict[str, Any]) -> Reply:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}],
        }
        return Reply(200, _completion(body, message, "tool_calls", prompt, completion))

    return reply


def openai_text(text: str, *, prompt: int = 100, completion: int = 20) -> Script:
    """A chat completion with a final text answer."""

    def reply(body: dict[str, Any]) -> Reply:
        return Reply(200, _completion(body, {"role": "assistant", "content": text}, "stop", prompt, completion))

    return reply


def _completion(
    body: dict[str, Any], message: dict[str, Any], finish: str, prompt: int, completion: int
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": body.get("model", "unknown"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _usage_openai(prompt, completion),
    }


def openai_error(status: int, message: str = "boom") -> Reply:
    """An OpenAI-style error (429 rate limit, 500 server error...)."""
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return Reply(status, {"error": {"message": message, "type": kind, "code": kind}})


# -- Anthropic Messages ---------------------------------------------------------------------------
def anthropic_tool_use(
    name: str, arguments: dict[str, Any], *, call_id: str = "toolu_1", prompt: int = 100, completion: int = 20
) -> Script:
    """A Messages response calling one tool."""

    def reply(body: dict[str, Any]) -> Reply:
        content = [{"type": "tool_use", "id": call_id, "name": name, "input": arguments}]
        return Reply(200, _message(body, content, "tool_use", prompt, completion))

    return reply


def anthropic_text(text: str, *, prompt: int = 100, completion: int = 20) -> Script:
    """A Messages response with a final text answer."""

    def reply(body: dict[str, Any]) -> Reply:
        return Reply(200, _message(body, [{"type": "text", "text": text}], "end_turn", prompt, completion))

    return reply


def _message(
    body: dict[str, Any], content: list[dict[str, Any]], stop: str, prompt: int, completion: int
) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "unknown"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


def anthropic_error(status: int, message: str = "boom") -> Reply:
    """An Anthropic-style error."""
    kind = "rate_limit_error" if status == 429 else "api_error"
    return Reply(status, {"type": "error", "error": {"type": kind, "message": message}})


# -- reading what the model was sent --------------------------------------------------------------
def openai_tool_messages(body: dict[str, Any]) -> list[str]:
    """The contents of the `tool` messages of one OpenAI request."""
    return [str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "tool"]


def openai_user_messages(body: dict[str, Any]) -> list[str]:
    """The contents of the `user` messages of one OpenAI request."""
    return [str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "user"]


# -- Gemini generateContent -----------------------------------------------------------------------
def gemini_function_call(name: str, arguments: dict[str, Any], *, prompt: int = 100, completion: int = 20) -> Script:
    """A generateContent response calling one function."""
    return _gemini([{"functionCall": {"name": name, "args": arguments}}], prompt, completion)


def gemini_text(text: str, *, prompt: int = 100, completion: int = 20) -> Script:
    """A generateContent response with a final text answer."""
    return _gemini([{"text": text}], prompt, completion)


def _gemini(parts: list[dict[str, Any]], prompt: int, completion: int) -> Script:
    def reply(body: dict[str, Any]) -> Reply:
        del body
        return Reply(
            200,
            {
                "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {
                    "promptTokenCount": prompt,
                    "candidatesTokenCount": completion,
                    "totalTokenCount": prompt + completion,
                },
                "modelVersion": "gemini-2.0-flash",
                "responseId": "resp-fake",
            },
        )

    return reply


def gemini_error(status: int, message: str = "boom") -> Reply:
    """A Gemini-style error."""
    kind = "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL"
    return Reply(status, {"error": {"code": status, "message": message, "status": kind}})


# -- stream shaping -------------------------------------------------------------------------------
def shaped(script: Script, *, break_after: int | None = None, pace: float = 0.0) -> Script:
    """`script`, streamed with a pause between messages and/or cut off after `break_after` messages."""

    def reply(body: dict[str, Any]) -> Reply:
        base = script(body) if callable(script) else script
        return Reply(base.status, base.body, base.delay, break_after=break_after, pace=pace)

    return reply


def gemini_function_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `functionResponse` parts of one Gemini request."""
    return [
        part["functionResponse"]
        for content in body.get("contents", [])
        for part in content.get("parts", [])
        if "functionResponse" in part
    ]
