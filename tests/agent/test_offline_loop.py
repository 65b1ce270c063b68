"""The offline model's own loop against pydantic-ai's agent graph: the same events, history and records.

The graph path is forced by wrapping the offline model (`WrapperModel`), which the runtime does not
recognise as the offline model; both runtimes then hold the same conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart
from pydantic_ai.models.wrapper import WrapperModel

from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage
from purser.agent.human import NotHandedOff
from purser.agent.runtime import RuntimeInputError, UnknownConversation
from purser.app import Container
from purser.config import Settings
from purser.errors import PurserError
from purser.models.offline import OfflineModel
from purser.ports.conversations import ConversationBusy, ConversationNotFound

SCRIPT: list[str | tuple[str, str]] = [
    "Hi, I was charged twice on November 1st?",
    "Yes, please refund the extra one.",
    ("confirm", "yes"),
    "What plan am I on and when is my next invoice?",
    "How much would it cost to move to Business?",
    "Please cancel my subscription",
    "No, just cancel it",
    ("confirm", "no"),
    "thanks, bye",
]


def _run(container: Container) -> tuple[list[list[dict[str, Any]]], list[ModelMessage], str]:
    rt = container.runtime
    cid = rt.start("cus_ana")
    turns: list[list[dict[str, Any]]] = []
    asks: list[str] = []
    for step in SCRIPT:
        if isinstance(step, tuple):
            if not asks:
                continue
            events: list[AgentEvent] = rt.handle(cid, CustomerConfirm(action_id=asks.pop(), decision=step[1]))  # type: ignore[arg-type]
        else:
            events = rt.handle(cid, CustomerMessage(text=step))
        asks.extend(e.action_id for e in events if e.type == "confirmation_request")
        turns.append([_comparable(e.model_dump(mode="json")) for e in events])
    return turns, rt.store.messages(cid), cid


def _comparable(value: Any) -> Any:
    # Action ids hash the conversation id, which differs between the two runs.
    if isinstance(value, dict):
        return {k: ("<id>" if k == "action_id" else _comparable(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str) and "act_" in value:
        return "<text with an id>"
    return value


def _shape(messages: list[ModelMessage]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for m in messages:
        parts = []
        for p in m.parts:
            row: tuple[Any, ...] = (p.part_kind, getattr(p, "tool_name", None), getattr(p, "tool_call_id", None))
            if isinstance(p, ToolReturnPart):
                row += (p.outcome, _comparable(p.model_response_str()))
            elif hasattr(p, "content"):
                row += (_comparable(p.content),)
            if hasattr(p, "args"):
                row += (p.args,)
            parts.append(row)
        instructions = m.instructions is not None if isinstance(m, ModelRequest) else None
        out.append((m.kind, instructions, tuple(parts)))
    return out


def test_own_loop_matches_the_agent_graph(make_world: Callable[..., Container]) -> None:
    own = make_world(Settings(), model=OfflineModel())
    graph = make_world(Settings(), model=WrapperModel(OfflineModel()))
    own_turns, own_messages, own_cid = _run(own)
    graph_turns, graph_messages, graph_cid = _run(graph)
    assert own_turns == graph_turns
    assert any(e["type"] == "action_result" for turn in own_turns for e in turn)
    assert _shape(own_messages) == _shape(graph_messages)
    # Every request of one run shares its run id; the conversation id carries over from the history.
    assert len({m.conversation_id for m in own_messages}) == 1
    assert [e.event["type"] for e in own.runtime.transcript(own_cid)] == [
        e.event["type"] for e in graph.runtime.transcript(graph_cid)
    ]
    assert own.runtime.usage(own_cid).requests == graph.runtime.usage(graph_cid).requests


def test_the_history_cache_follows_other_writers(make_world: Callable[..., Container]) -> None:
    container = make_world(Settings())
    rt = container.runtime
    cid = rt.start("cus_ana")
    rt.handle(cid, CustomerMessage(text="What plan am I on?"))
    load, history = rt.store.load(cid)
    assert len(history) == load.record.message_seq > 0
    # Another writer appends: the next load reads only what it has not seen, and the whole history matches.
    rt.store.append_events(cid, load.record.turns, [("agent", {"type": "message", "text": "hello"})])
    rt.handle(cid, CustomerMessage(text="And when is my next invoice?"))
    _, cached = rt.store.load(cid)
    assert [m.kind for m in cached] == [m.kind for m in rt.store.messages(cid)]
    assert rt.store.get(cid).event_seq == len(rt.transcript(cid))


def test_errors_carry_codes_and_statuses() -> None:
    assert issubclass(RuntimeInputError, PurserError) and issubclass(RuntimeInputError, ValueError)
    assert (RuntimeInputError.code, RuntimeInputError.status) == ("cannot_apply", 409)
    assert issubclass(UnknownConversation, ConversationNotFound) and issubclass(UnknownConversation, LookupError)
    assert issubclass(UnknownConversation, RuntimeInputError) and UnknownConversation.status == 404
    assert (ConversationBusy.code, ConversationBusy.status) == ("conversation_busy", 409)
    assert issubclass(ConversationBusy, RuntimeError)
    assert (NotHandedOff.code, NotHandedOff.status) == ("not_handed_off", 409)


def test_unknown_conversation(make_world: Callable[..., Container]) -> None:
    rt = make_world(Settings()).runtime
    with pytest.raises(UnknownConversation):
        rt.handle("cnv_nope", CustomerMessage(text="hi"))


def test_resumed_parse_equals_a_fresh_one(make_world: Callable[..., Container]) -> None:
    from purser.models.offline.history import parse_history

    container = make_world(Settings())
    rt = container.runtime
    cid = rt.start("cus_ana")
    for text in ("I was charged twice on November 1st?", "Yes, please refund the extra one.", "What plan am I on?"):
        rt.handle(cid, CustomerMessage(text=text))
        _, cached = rt.store.load(cid)  # the objects the runtime reuses: parses resume from them
        resumed = parse_history(cached)
        fresh = parse_history(rt.store.messages(cid))  # new objects: a parse from scratch
        assert resumed == fresh and resumed[-1].kind == "text"
