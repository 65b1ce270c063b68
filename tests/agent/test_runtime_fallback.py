"""Fallback on provider errors and timeouts, routing to the strong model, and Anthropic's API."""

from __future__ import annotations

from collections.abc import Callable

from agent_world import llm_settings

from purser.agent.events import CustomerConfirm, CustomerMessage
from purser.agent.runtime import UNAVAILABLE_TEXT
from purser.app import Container
from purser.domain import CustomerId
from purser.testing.llm_server import (
    LLMServer,
    Reply,
    anthropic_error,
    anthropic_text,
    anthropic_tool_use,
    openai_error,
    openai_text,
    openai_tool_call,
)


def test_429_falls_back_to_the_next_model(
    fake_openai: LLMServer, fake_openai_2: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai, fake_openai_2)).runtime
    fake_openai.push(openai_error(429, "slow down"))
    fake_openai_2.push(openai_text("Your plan is Pro."))
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="what is my plan?"))
    assert [(e.type, getattr(e, "text", "")) for e in events] == [("message", "Your plan is Pro.")]
    assert len(fake_openai.requests) == 1 and len(fake_openai_2.requests) == 1
    assert fake_openai_2.requests[0]["model"] == "gpt-4o"
    assert set(rt.usage(cid).per_model) == {"strong"}


def test_500_mid_loop_falls_back_and_keeps_the_tool_history(
    fake_openai: LLMServer, fake_openai_2: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai, fake_openai_2)).runtime
    fake_openai.push(openai_tool_call("lookup_account", {}), openai_error(500))
    fake_openai_2.push(openai_text("You are on Pro."))
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="what is my plan?"))
    assert events[-1].type == "message" and events[-1].text == "You are on Pro."
    # The second model received the first model's tool call and its result.
    roles = [m["role"] for m in fake_openai_2.requests[0]["messages"]]
    assert roles[-2:] == ["assistant", "tool"]
    usage = rt.usage(cid)
    assert usage.per_model["cheap"].requests == 1 and usage.per_model["strong"].requests == 1


def test_timeout_falls_back(
    fake_openai: LLMServer, fake_openai_2: LLMServer, make_world: Callable[..., Container]
) -> None:
    settings = llm_settings(fake_openai, fake_openai_2)
    slow = settings.models[0].model_copy(update={"timeout_seconds": 1})
    settings = settings.model_copy(update={"models": (slow, settings.models[1])})
    rt = make_world(settings).runtime
    fake_openai.push(Reply(200, {"never": "read"}, delay=2.5))
    fake_openai_2.push(openai_text("Here you go."))
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="hello"))
    assert events[-1].type == "message" and events[-1].text == "Here you go."


def test_every_model_down_says_so_without_handing_off(
    fake_openai: LLMServer, fake_openai_2: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai, fake_openai_2)).runtime
    fake_openai.push(openai_error(500))
    fake_openai_2.push(openai_error(503))
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="hello"))
    assert [(e.type, getattr(e, "text", "")) for e in events] == [("message", UNAVAILABLE_TEXT)]
    assert not rt.conversation(cid).handed_off
    # The customer's words stay in the model history, so the next turn still has them.
    fake_openai.push(openai_text("Back again."))
    assert rt.handle(cid, CustomerMessage(text="still there?"))[-1].text == "Back again."  # type: ignore[union-attr]
    contents = [m.get("content") for m in fake_openai.requests[-1]["messages"] if m["role"] == "user"]
    assert any("hello" in str(c) for c in contents)


def test_money_at_stake_routes_to_the_strong_model(
    fake_openai: LLMServer, fake_openai_2: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai, fake_openai_2)).runtime
    fake_openai.push(openai_text("cheap answer"))
    fake_openai_2.push(openai_text("strong answer"))
    cid = rt.start("cus_ana")
    small = rt.handle(cid, CustomerMessage(text="Can you explain the $20 charge?"))
    big = rt.handle(cid, CustomerMessage(text="I need a refund of $250.00 for last year"))
    assert small[-1].text == "cheap answer"  # type: ignore[union-attr]
    assert big[-1].text == "strong answer"  # type: ignore[union-attr]
    assert [r["model"] for r in fake_openai_2.requests] == ["gpt-4o"]


def test_anthropic_tool_loop(fake_anthropic: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_anthropic))
    fake_anthropic.push(
        anthropic_tool_use("refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}),
        anthropic_text("Please confirm the $20.00 refund."),
        anthropic_text("Refunded."),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="charged twice"))
    assert [e.type for e in events] == ["message", "confirmation_request"]
    first = fake_anthropic.requests[0]
    assert "ch_ana_11b" in str(first["system"]) and {t["name"] for t in first["tools"]} >= {"refund", "handoff"}
    assert fake_anthropic.paths[0].endswith("/v1/messages")
    action_id = events[1].action_id  # type: ignore[union-attr]
    events = rt.handle(cid, CustomerConfirm(action_id=action_id, decision="yes"))
    assert [e.type for e in events] == ["action_result", "message"]
    refunds = c.processor.snapshot(CustomerId("cus_ana")).refunds
    assert [(r.charge_id, r.amount.amount_str()) for r in refunds] == [("ch_ana_11b", "20.00")]
    assert rt.usage(cid).per_model["cheap"].requests == 3


def test_openai_error_falls_back_to_anthropic(
    fake_openai: LLMServer, fake_anthropic: LLMServer, make_world: Callable[..., Container]
) -> None:
    rt = make_world(llm_settings(fake_openai, fake_anthropic)).runtime
    fake_openai.push(openai_error(429))
    fake_anthropic.push(anthropic_text("Hello from Claude."))
    cid = rt.start("cus_ana")
    assert rt.handle(cid, CustomerMessage(text="hi"))[-1].text == "Hello from Claude."  # type: ignore[union-attr]
    fake_openai.push(openai_error(500))
    fake_anthropic.push(anthropic_error(529, "overloaded"))
    assert rt.handle(cid, CustomerMessage(text="hi again"))[-1].text == UNAVAILABLE_TEXT  # type: ignore[union-attr]
