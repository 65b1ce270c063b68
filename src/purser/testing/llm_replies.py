"""Scripted replies for `purser.testing.llm_server`, one builder per wire format, and readers of
what the model was sent.

A `Script` item is a `Reply` (status + JSON body) or a function of the request body returning one,
so a reply may echo the requested model or depend on what the client sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
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


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    """HTTP status."""
    body: dict[str, Any] | None = None
    """The vendor's complete JSON response (streamed as the vendor would when the client asks)."""
    delay: float = 0.0
    """Seconds to wait before answering (timeouts, slow providers)."""
    break_after: int | None = None
    """Streamed: close the connection after this many SSE messages (an incomplete body)."""
    pace: float = 0.0
    """Streamed: seconds between SSE messages."""


Script = Reply | Callable[[dict[str, Any]], Reply]
"""One item of a server's script: a fixed reply, or a function of the request body."""


# -- OpenAI Chat Completions ----------------------------------------------------------------------
def _usage_openai(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


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


def openai_error(status: int, message: str = "boom") -> Reply:
    """An OpenAI-style error (429 rate limit, 500 server error...)."""
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return Reply(status, {"error": {"message": message, "type": kind, "code": kind}})


def openai_tool_messages(body: dict[str, Any]) -> list[str]:
    """The contents of the `tool` messages of one OpenAI request."""
    return [str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "tool"]


def openai_user_messages(body: dict[str, Any]) -> list[str]:
    """The contents of the `user` messages of one OpenAI request."""
    return [str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "user"]


# -- Anthropic Messages ---------------------------------------------------------------------------
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


def anthropic_error(status: int, message: str = "boom") -> Reply:
    """An Anthropic-style error."""
    kind = "rate_limit_error" if status == 429 else "api_error"
    return Reply(status, {"type": "error", "error": {"type": kind, "message": message}})


# -- Gemini generateContent -----------------------------------------------------------------------
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


def gemini_function_call(name: str, arguments: dict[str, Any], *, prompt: int = 100, completion: int = 20) -> Script:
    """A generateContent response calling one function."""
    return _gemini([{"functionCall": {"name": name, "args": arguments}}], prompt, completion)


def gemini_text(text: str, *, prompt: int = 100, completion: int = 20) -> Script:
    """A generateContent response with a final text answer."""
    return _gemini([{"text": text}], prompt, completion)


def gemini_error(status: int, message: str = "boom") -> Reply:
    """A Gemini-style error."""
    kind = "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL"
    return Reply(status, {"error": {"code": status, "message": message, "status": kind}})


def gemini_function_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `functionResponse` parts of one Gemini request."""
    return [
        part["functionResponse"]
        for content in body.get("contents", [])
        for part in content.get("parts", [])
        if "functionResponse" in part
    ]


# -- stream shaping -------------------------------------------------------------------------------
def shaped(script: Script, *, break_after: int | None = None, pace: float = 0.0) -> Script:
    """`script`, streamed with a pause between messages and/or cut off after `break_after` messages."""

    def reply(body: dict[str, Any]) -> Reply:
        base = script(body) if callable(script) else script
        return Reply(base.status, base.body, base.delay, break_after=break_after, pace=pace)

    return reply
