"""The message history, flattened into the events the offline model reasons over.

The offline model keeps no state between requests: everything it knows comes
from the pydantic-ai message history — customer prompts, its own tool calls and
their returns, its own texts, and the runtime's `[confirmation] {...}` /
`[approval] {...}` user messages. `parse_history` turns that history into an
ordered list of `Event`s, each with its position, so the dialogue manager can
ask "what happened after the customer's last message?".
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

__all__ = ["Event", "ToolRecord", "parse_history"]

EventKind = Literal["customer", "confirmation", "approval", "tool", "text"]


@dataclass
class ToolRecord:
    """One tool call the model made, with its parsed result once it arrived."""

    name: str
    args: dict[str, Any]
    call_id: str
    result: dict[str, Any] | None = None
    index: int = -1
    """Position of the result event (-1 while the result has not arrived)."""


@dataclass
class Event:
    """One thing that happened in the conversation, in order."""

    kind: EventKind
    index: int
    text: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    tool: ToolRecord | None = None
    key: int = 0
    """A fingerprint of this event and every event before it (in-process memo key of the history prefix
    that ends here: equal histories give equal keys within one process)."""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(item for item in content if isinstance(item, str))
    return ""


def _parse_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _tool_content(content: Any) -> dict[str, Any]:
    if isinstance(content, dict):
        return content
    if isinstance(content, str):
        parsed = _parse_json(content)
        return parsed or {"status": "failed", "summary": content}
    if hasattr(content, "model_dump"):
        dumped = content.model_dump(mode="json")
        return dumped if isinstance(dumped, dict) else {}
    if isinstance(content, list):
        return {"items": content}
    return {}


def _args(part: ToolCallPart) -> dict[str, Any]:
    if isinstance(part.args, dict):
        return dict(part.args)
    if isinstance(part.args, str) and part.args:
        return _parse_json(part.args)
    return {}


@dataclass(frozen=True)
class _Parsed:
    """A parse of some messages, to resume from when the next history starts with the same objects."""

    messages: tuple[ModelMessage, ...]
    events: tuple[Event, ...]
    pending: tuple[ToolRecord, ...]


_TOOL_INSTRUCTION = re.compile(r"\s*Call \w+ again with valid arguments\.?")
"""The runtime's instruction to a model retrying a tool call: never part of what a customer reads."""

_PARSED: OrderedDict[int, _Parsed] = OrderedDict()
_PARSED_SIZE = 256
_PARSED_LOCK = threading.Lock()


def parse_history(messages: Sequence[ModelMessage]) -> list[Event]:
    """Flatten pydantic-ai messages into ordered events (see the module docstring).

    Each request re-reads the whole history; when it starts with the very message objects of an
    earlier parse (the same conversation, in this process), that parse is resumed instead of
    repeated (a bounded LRU keyed by the first message). Nothing downstream mutates events, so they
    are shared; calls still waiting for their result are copied, as resuming fills them in.
    """
    messages = list(messages)
    if not messages:
        return []
    key = id(messages[0])
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
    start = 0
    events: list[Event] = []
    pending: dict[str, ToolRecord] = {}
    if (
        cached is not None
        and len(cached.messages) <= len(messages)
        and all(a is b for a, b in zip(cached.messages, messages, strict=False))
    ):
        start = len(cached.messages)
        events = list(cached.events)
        pending = {r.call_id: replace(r) for r in cached.pending}
    _parse_into(messages[start:], events, pending)
    done = _Parsed(tuple(messages), tuple(events), tuple(replace(r) for r in pending.values()))
    with _PARSED_LOCK:
        _PARSED[key] = done
        _PARSED.move_to_end(key)
        while len(_PARSED) > _PARSED_SIZE:
            _PARSED.popitem(last=False)
    return events


def _parse_into(messages: Sequence[ModelMessage], events: list[Event], pending: dict[str, ToolRecord]) -> None:
    """Append the events of `messages` to `events` (`pending`: tool calls still waiting for their result)."""

    def add(kind: EventKind, raw: object = None, **kwargs: Any) -> Event:
        event = Event(kind=kind, index=len(events), **kwargs)
        prev = events[-1].key if events else 0
        tool = event.tool
        own = (kind, event.text) if tool is None else (kind, tool.name, repr(tool.args), tool.call_id, repr(raw))
        event.key = hash((prev, len(events), own))
        events.append(event)
        return event

    def add_retry(tool_name: str, call_id: str, content: object) -> None:
        """A tool call the runtime rejected and asks to be made again: an invalid result, its reason kept."""
        record = pending.pop(call_id, ToolRecord(tool_name, {}, call_id))
        detail = content if isinstance(content, str) else "the arguments were not valid"
        detail = _TOOL_INSTRUCTION.sub("", detail).strip()  # said to the model, not the customer
        record.result = {"status": "invalid", "summary": detail, "reason": "invalid_arguments"}
        record.index = len(events)
        add("tool", raw=("retry", detail), tool=record)

    for message in messages:
        if isinstance(message, ModelResponse):
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    record = ToolRecord(part.tool_name, _args(part), part.tool_call_id)
                    pending[part.tool_call_id] = record
                elif isinstance(part, TextPart) and part.content.strip():
                    add("text", text=part.content)
        elif isinstance(message, ModelRequest):
            for rpart in message.parts:
                if isinstance(rpart, ToolReturnPart) and (rpart.outcome == "retried" or rpart.retry is not None):
                    # the runtime asking for the call again (invalid arguments): the same as a RetryPromptPart
                    add_retry(rpart.tool_name, rpart.tool_call_id, rpart.content)
                elif isinstance(rpart, ToolReturnPart):
                    record = pending.pop(rpart.tool_call_id, ToolRecord(rpart.tool_name, {}, rpart.tool_call_id))
                    record.result = _tool_content(rpart.content)
                    record.index = len(events)
                    add("tool", raw=rpart.content, tool=record)
                elif isinstance(rpart, RetryPromptPart) and rpart.tool_name:
                    add_retry(rpart.tool_name, rpart.tool_call_id, rpart.content)
                elif isinstance(rpart, UserPromptPart):
                    text = _content_text(rpart.content).strip()
                    if not text:
                        continue
                    if text.startswith("[confirmation]"):
                        add("confirmation", text=text, payload=_parse_json(text[len("[confirmation]") :].strip()))
                    elif text.startswith("[approval]"):
                        add("approval", text=text, payload=_parse_json(text[len("[approval]") :].strip()))
                    else:
                        add("customer", text=text)
