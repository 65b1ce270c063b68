"""Fake LLM HTTP servers on 127.0.0.1: OpenAI Chat Completions and Anthropic Messages.

Each server replays a script of replies (status + JSON body, or a function of the request body)
and records every request, so tests can assert what the model was sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: dict[str, Any] | None = None
    delay: float = 0.0


Script = Reply | Callable[[dict[str, Any]], Reply]


class FakeLLM:
    """A scripted fake of one provider's API."""

    def __init__(self, flavor: Literal["openai", "anthropic"]) -> None:
        self.flavor = flavor
        self.script: list[Script] = []
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                reply = fake._next(self.path, body)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = json.dumps(reply.body if reply.body is not None else {}).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return

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

    def _next(self, path: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            if not self.script:
                return Reply(500, {"error": {"message": "script exhausted", "type": "server_error"}})
            item = self.script.pop(0)
        return item(body) if callable(item) else item

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
