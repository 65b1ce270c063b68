"""Server-Sent-Event encodings of scripted replies, in each vendor's streaming wire format.

A scripted reply is written once as the vendor's complete JSON response; when the client asks
for a stream (OpenAI/Anthropic `"stream": true`, Gemini `:streamGenerateContent?alt=sse`), the
server sends the same response as the vendor would stream it: text in several deltas, tool
arguments split across chunks, usage at the end.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["anthropic_events", "gemini_events", "openai_events", "pieces", "sse"]


def pieces(text: str, size: int = 6) -> list[str]:
    """`text` cut into chunks of about `size` characters (at least two when it has two characters)."""
    if len(text) < 2:
        return [text]
    size = max(1, min(size, len(text) // 2))
    return [text[i : i + size] for i in range(0, len(text), size)]


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE message."""
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def openai_events(body: dict[str, Any]) -> list[bytes] | None:
    """A Chat Completions response as `chat.completion.chunk`s, or None when it is not one."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return None
    message, finish = choices[0]["message"], choices[0].get("finish_reason")
    base = {k: body[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return sse(base | {"choices": [choice]})

    out = [chunk({"role": "assistant", "content": ""})]
    for piece in pieces(message.get("content") or ""):
        out.append(chunk({"content": piece}))
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        head = {"index": index, "id": call["id"], "type": "function"}
        out.append(chunk({"tool_calls": [head | {"function": {"name": function["name"], "arguments": ""}}]}))
        for piece in pieces(function["arguments"], 12):
            out.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    out.append(chunk({}, finish))
    out.append(sse(base | {"choices": [], "usage": body.get("usage")}))
    out.append(sse("[DONE]"))
    return out


def anthropic_events(body: dict[str, Any]) -> list[bytes] | None:
    """A Messages response as Anthropic's stream events, or None when it is not one."""
    if body.get("type") != "message":
        return None
    usage = body.get("usage") or {}
    start = {k: v for k, v in body.items() if k not in ("content", "usage", "stop_reason")}
    start |= {"content": [], "stop_reason": None, "usage": {"input_tokens": usage.get("input_tokens", 0)}}
    start["usage"]["output_tokens"] = 1
    out = [sse({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(body["content"]):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in pieces(block["text"])]
        else:
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces(json.dumps(block["input"]), 12)]
        out.append(
            sse({"type": "content_block_start", "index": index, "content_block": opening}, "content_block_start")
        )
        out.extend(
            sse({"type": "content_block_delta", "index": index, "delta": d}, "content_block_delta") for d in deltas
        )
        out.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    delta = {"stop_reason": body.get("stop_reason"), "stop_sequence": None}
    out.append(
        sse(
            {"type": "message_delta", "delta": delta, "usage": {"output_tokens": usage.get("output_tokens", 0)}},
            "message_delta",
        )
    )
    out.append(sse({"type": "message_stop"}, "message_stop"))
    return out


def gemini_events(body: dict[str, Any]) -> list[bytes] | None:
    """A generateContent response as `streamGenerateContent?alt=sse` chunks, or None when it is not one."""
    candidates = body.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        return None
    candidate = candidates[0]
    head = {k: body[k] for k in ("modelVersion", "responseId") if k in body}
    out: list[bytes] = []
    parts = candidate["content"]["parts"]
    for i, part in enumerate(parts):
        chunks = [{"text": p} for p in pieces(part["text"])] if "text" in part else [part]
        for j, piece in enumerate(chunks):
            last = i == len(parts) - 1 and j == len(chunks) - 1
            cand: dict[str, Any] = {"content": {"role": "model", "parts": [piece]}, "index": 0}
            chunk = head | {"candidates": [cand]}
            if last:
                cand["finishReason"] = candidate.get("finishReason", "STOP")
                chunk["usageMetadata"] = body.get("usageMetadata")
            out.append(sse(chunk))
    return out
