"""Gemini through google-genai against a fake Gemini server: tool loop, streaming, fallback on a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from agent_world import llm_settings

from purser.agent.events import CustomerConfirm, CustomerMessage, MessageDelta
from purser.agent.runtime import UNAVAILABLE_TEXT
from purser.app import Container
from purser.domain import CustomerId
from purser.testing.llm_server import (
    LLMServer,
    gemini_error,
    gemini_function_call,
    gemini_function_responses,
    gemini_text,
    openai_text,
)

REFUND_DUP = {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}


def test_gemini_tool_loop_through_the_gateway(
    fake_gemini: LLMServer, make_world: Callable[..., Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PURSER_TEST_GEMINI_KEY", "gm-test-key")
    settings = llm_settings(fake_gemini)
    entry = settings.models[0].model_copy(update={"api_key_env": "PURSER_TEST_GEMINI_KEY"})
    c = make_world(settings.model_copy(update={"models": (entry,)}))
    fake_gemini.push(
        gemini_function_call("refund", REFUND_DUP, prompt=200, completion=30),
        gemini_text("I can refund the duplicate $20.00 charge. Please confirm."),
        gemini_text("Refunded: $20.00 is on its way back."),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="I was charged twice"))
    assert [e.type for e in events] == ["message", "confirmation_request"]
    assert all(p == "/v1beta/models/gemini-2.0-flash:generateContent" for p in fake_gemini.paths)
    assert fake_gemini.headers[0]["x-goog-api-key"] == "gm-test-key"
    first = fake_gemini.requests[0]
    declared = {f["name"] for t in first["tools"] for f in t.get("functionDeclarations", [])}
    assert {"refund", "lookup_account", "handoff"} <= declared
    assert "ch_ana_11b" in str(first["systemInstruction"])
    (returned,) = gemini_function_responses(fake_gemini.requests[1])
    assert returned["name"] == "refund" and "needs_confirmation" in str(returned["response"])
    assert not c.processor.snapshot(CustomerId("cus_ana")).refunds  # nothing before the button

    action_id = events[1].action_id  # type: ignore[union-attr]
    events = rt.handle(cid, CustomerConfirm(action_id=action_id, decision="yes"))
    assert [e.type for e in events] == ["action_result", "message"]
    refunds = c.processor.snapshot(CustomerId("cus_ana")).refunds
    assert [(r.charge_id, r.amount.amount_str()) for r in refunds] == [("ch_ana_11b", "20.00")]
    usage = rt.usage(cid)
    assert (usage.requests, usage.input_tokens, usage.output_tokens) == (3, 400, 70)
    assert usage.per_model["cheap"].requests == 3


def test_gemini_streams_to_a_listener(fake_gemini: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_gemini)).runtime
    cid = rt.start("cus_ana")
    deltas: list[MessageDelta] = []
    rt.subscribe(cid, lambda _c, evs: deltas.extend(e for e in evs if isinstance(e, MessageDelta)), transient=True)
    fake_gemini.push(gemini_function_call("lookup_account", {}), gemini_text("You are on Pro at $20.00 a month."))
    events = rt.handle(cid, CustomerMessage(text="what is my plan?"))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("message", "You are on Pro at $20.00 a month.")]
    assert fake_gemini.streamed == [True, True]
    assert all(p.endswith(":streamGenerateContent?alt=sse") for p in fake_gemini.paths)
    assert len(deltas) >= 2 and "".join(d.text for d in deltas) == "You are on Pro at $20.00 a month."
    assert rt.usage(cid).requests == 2


def test_gemini_500_falls_back(
    fake_gemini: LLMServer, fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_gemini, fake_openai)).runtime
    fake_gemini.push(gemini_error(500, "internal"))
    fake_openai.push(openai_text("Hello from the fallback."))
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="hi"))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("message", "Hello from the fallback.")]
    assert len(fake_gemini.requests) == 1 and len(fake_openai.requests) == 1  # no SDK retries
    assert set(rt.usage(cid).per_model) == {"strong"}
    # With nothing left to fall back to, the customer hears that the assistant is unavailable.
    fake_gemini.push(gemini_error(503, "overloaded"))
    fake_openai.push(gemini_error(500))
    assert rt.handle(cid, CustomerMessage(text="again"))[-1].text == UNAVAILABLE_TEXT  # type: ignore[union-attr]
