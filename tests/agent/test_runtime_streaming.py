"""Streamed replies: text deltas to live listeners, tool calls through the gateway, broken streams."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from agent_world import llm_settings
from pydantic_ai.messages import ModelResponse

from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage, MessageDelta
from purser.agent.runtime import UNAVAILABLE_TEXT, Runtime
from purser.app import Container
from purser.config import Settings
from purser.domain import CustomerId
from purser.testing.llm_server import (
    LLMServer,
    anthropic_text,
    anthropic_tool_use,
    openai_text,
    openai_tool_call,
    openai_tool_messages,
    shaped,
)

REFUND_DUP = {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}


@dataclass
class Listener:
    """What a live subscriber with transient events received."""

    deltas: list[MessageDelta] = field(default_factory=list)
    batches: list[list[AgentEvent]] = field(default_factory=list)

    def __call__(self, _cid: str, events: list[Any]) -> None:
        if all(isinstance(e, MessageDelta) for e in events):
            self.deltas.extend(events)
        else:
            self.batches.append(events)

    def grown(self) -> str:
        """The text the deltas grow, from the last reset on."""
        text = ""
        for delta in self.deltas:
            text = delta.text if delta.reset else text + delta.text
        return text


def listen(rt: Runtime, cid: str) -> Listener:
    listener = Listener()
    rt.subscribe(cid, listener, transient=True)
    return listener


def test_streamed_text_arrives_in_deltas(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    plain: list[list[AgentEvent]] = []
    rt.subscribe(cid, lambda _c, events: plain.append(events))
    reply = "You are on Pro, billed monthly at $20.00."
    fake_openai.push(openai_text(reply, prompt=1000, completion=50))
    events = rt.handle(cid, CustomerMessage(text="what is my plan?"))

    assert fake_openai.streamed == [True]
    assert fake_openai.requests[0]["stream_options"] == {"include_usage": True}
    assert len(listener.deltas) >= 2 and not any(d.reset for d in listener.deltas)
    assert "".join(d.text for d in listener.deltas) == reply
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("message", reply)]
    # The deltas are transient: not in the turn's events, the transcript, nor for plain subscribers.
    assert listener.batches == [events] and plain == [events]
    assert [t.event["type"] for t in rt.transcript(cid)] == ["message", "message"]
    usage = rt.usage(cid)
    assert (usage.requests, usage.input_tokens, usage.output_tokens) == (1, 1000, 50)
    assert Decimal(usage.cost_usd) > 0


def test_nobody_listening_means_no_stream(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    cid = rt.start("cus_ana")
    fake_openai.push(openai_text("Hi."))
    assert rt.handle(cid, CustomerMessage(text="hello"))[-1].text == "Hi."  # type: ignore[union-attr]
    assert fake_openai.streamed == [False]


def test_streamed_tool_call_goes_through_the_gateway(
    fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    c = make_world(llm_settings(fake_openai))
    rt = c.runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    fake_openai.push(
        openai_tool_call("refund", REFUND_DUP),  # the arguments arrive in several chunks
        openai_text("I can refund the duplicate $20.00 charge. Please confirm."),
        openai_text("Done: $20.00 is on its way back."),
    )
    events = rt.handle(cid, CustomerMessage(text="I was charged twice"))
    assert fake_openai.streamed == [True, True]
    assert [e.type for e in events] == ["message", "confirmation_request"]
    assert events[1].quote["amount"] == "20.00"  # type: ignore[union-attr]
    assert json.loads(openai_tool_messages(fake_openai.requests[1])[0])["status"] == "needs_confirmation"
    assert listener.grown() == events[0].text  # type: ignore[union-attr]
    assert not c.processor.snapshot(CustomerId("cus_ana")).refunds

    listener.deltas.clear()  # a new turn: the widget has replaced the grown text by the message
    events = rt.handle(cid, CustomerConfirm(action_id=events[1].action_id, decision="yes"))  # type: ignore[union-attr]
    assert [e.type for e in events] == ["action_result", "message"]
    assert [r.amount.amount_str() for r in c.processor.snapshot(CustomerId("cus_ana")).refunds] == ["20.00"]
    assert listener.grown() == "Done: $20.00 is on its way back."
    assert rt.usage(cid).requests == 3


def test_stream_breaking_midway_falls_back_to_the_next_model(
    fake_openai: LLMServer, fake_openai_2: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai, fake_openai_2)).runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    fake_openai.push(shaped(openai_text("This answer is going to be cut off"), break_after=4))
    fake_openai_2.push(openai_text("You are on Pro."))
    events = rt.handle(cid, CustomerMessage(text="what is my plan?"))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("message", "You are on Pro.")]
    assert fake_openai.streamed == [True] and fake_openai_2.streamed == [True]
    # The widget saw the broken text, then a reset and the fallback model's text.
    assert listener.deltas[0].text == "This a" and any(d.reset for d in listener.deltas)
    assert listener.grown() == "You are on Pro."
    assert set(rt.usage(cid).per_model) == {"strong"}
    # Only the answering model's response is in the history.
    responses = [m for m in rt.store.messages(cid) if isinstance(m, ModelResponse)]
    assert [(m.state, m.model_name) for m in responses] == [("complete", "gpt-4o")]


def test_broken_tool_call_stream_with_no_model_left_is_unavailable(
    fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    cid = rt.start("cus_ana")
    listen(rt, cid)
    fake_openai.push(shaped(openai_tool_call("refund", REFUND_DUP), break_after=3))
    events = rt.handle(cid, CustomerMessage(text="refund the duplicate"))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("message", UNAVAILABLE_TEXT)]
    assert not rt.conversation(cid).handed_off and rt.pending_confirmations(cid) == []
    # The half-streamed tool call is not in the history: the next request is a valid conversation.
    fake_openai.push(openai_text("Back again."))
    assert rt.handle(cid, CustomerMessage(text="still there?"))[-1].text == "Back again."  # type: ignore[union-attr]
    sent = fake_openai.requests[-1]["messages"]
    assert not any(m.get("tool_calls") for m in sent)
    assert [m["content"] for m in sent if m["role"] == "user"] == ["refund the duplicate", "still there?"]


def test_safety_stops_still_apply_while_streaming(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai, cost_cap_usd="0.001")).runtime
    cid = rt.start("cus_ana")
    listen(rt, cid)
    fake_openai.push(
        openai_tool_call("lookup_account", {}, prompt=5000, completion=100),
        openai_tool_call("lookup_account", {}, call_id="c2", prompt=5000, completion=100),
        openai_text("never sent"),
    )
    events = rt.handle(cid, CustomerMessage(text="what's my plan"))
    assert len(fake_openai.requests) == 2 and events[-1].type == "handoff"
    assert "cost_cap" in events[-1].summary  # type: ignore[union-attr]
    assert Decimal(rt.usage(cid).cost_usd) >= Decimal("0.001")  # priced from the streamed usage

    fake_openai.script.clear()  # "never sent" stays unsent
    rt2 = make_world(llm_settings(fake_openai)).runtime
    cid2 = rt2.start("cus_ana")
    listen(rt2, cid2)
    fake_openai.push(*(openai_tool_call("refund", "{oops", call_id=f"c{i}") for i in range(5)))
    events = rt2.handle(cid2, CustomerMessage(text="refund"))
    assert events[-1].type == "handoff" and events[-1].reason == "repeated_failure"  # type: ignore[union-attr]
    assert len(fake_openai.requests) == 5  # 2 before, 3 here: the fourth was never sent


def test_anthropic_streams_text_and_tool_use(fake_anthropic: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_anthropic))
    rt = c.runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    fake_anthropic.push(
        anthropic_tool_use("refund", REFUND_DUP, prompt=300, completion=40),
        anthropic_text("Please confirm the $20.00 refund.", prompt=400, completion=30),
    )
    events = rt.handle(cid, CustomerMessage(text="charged twice"))
    assert fake_anthropic.streamed == [True, True] and fake_anthropic.requests[0]["stream"] is True
    assert [e.type for e in events] == ["message", "confirmation_request"]
    assert len(listener.deltas) >= 2 and listener.grown() == "Please confirm the $20.00 refund."
    usage = rt.usage(cid)
    assert (usage.requests, usage.input_tokens, usage.output_tokens) == (2, 700, 70)


def test_a_model_configured_not_to_stream(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    settings = llm_settings(fake_openai)
    entry = settings.models[0].model_copy(update={"stream": False})
    rt = make_world(settings.model_copy(update={"models": (entry,)})).runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    fake_openai.push(openai_text("One piece."))
    assert rt.handle(cid, CustomerMessage(text="hi"))[-1].text == "One piece."  # type: ignore[union-attr]
    assert fake_openai.streamed == [False]
    assert listener.grown() == "One piece."  # replayed whole


def test_offline_model_streams_its_reply_whole(make_world: Callable[..., Container]) -> None:
    rt = make_world(Settings()).runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    events = rt.handle(cid, CustomerMessage(text="what plan am I on?"))
    message = next(e for e in events if e.type == "message")
    assert listener.deltas and listener.grown() == message.text  # type: ignore[union-attr]


def test_anthropic_stream_breaking_midway_falls_back(
    fake_anthropic: LLMServer, fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_anthropic, fake_openai)).runtime
    cid = rt.start("cus_ana")
    listener = listen(rt, cid)
    fake_anthropic.push(shaped(anthropic_text("Claude starts answering and then"), break_after=4))
    fake_openai.push(openai_text("The fallback answers."))
    events = rt.handle(cid, CustomerMessage(text="hello"))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("message", "The fallback answers.")]
    assert listener.grown() == "The fallback answers." and any(d.reset for d in listener.deltas)
    assert set(rt.usage(cid).per_model) == {"strong"}
