"""The runtime against a fake OpenAI-compatible server: tool loops, bad calls, safety stops."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from agent_world import llm_settings
from pydantic_ai.messages import ModelRequest

from purser.agent.events import CustomerConfirm, CustomerMessage
from purser.app import Container
from purser.domain import CustomerId
from purser.testing.llm_server import (
    LLMServer,
    openai_text,
    openai_tool_call,
    openai_tool_messages,
    openai_user_messages,
)

REFUND_DUP = {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}


def _refunds(container: Container, customer: str = "cus_ana") -> list[tuple[str, str]]:
    snap = container.processor.snapshot(CustomerId(customer))
    return [(r.charge_id, r.amount.amount_str()) for r in snap.refunds]


def test_refund_tool_loop_confirm_and_read_back(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(
        openai_tool_call("refund", REFUND_DUP),
        openai_text("I can refund the duplicate $20.00 charge. Please confirm."),
        openai_text("Done: $20.00 is on its way back to your card."),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="I was charged twice on November 1st"))
    assert [e.type for e in events] == ["message", "confirmation_request"]
    request = events[1]
    assert request.type == "confirmation_request"
    assert request.action == "refund" and request.quote["amount"] == "20.00"
    assert _refunds(c) == []  # nothing runs before the customer's button

    # The model got the strict tool schemas and the account in its instructions.
    first = fake_openai.requests[0]
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert {"lookup_account", "refund", "handoff"} <= set(tools)
    assert tools["refund"]["parameters"]["additionalProperties"] is False
    assert set(tools["refund"]["parameters"]["required"]) == {"charge_id", "amount", "reason"}
    system = first["messages"][0]["content"]
    assert "ch_ana_11b" in system and "Refunds:" in system
    # The tool result went back to the model as compact JSON.
    result = json.loads(openai_tool_messages(fake_openai.requests[1])[0])
    assert result["status"] == "needs_confirmation" and result["action_id"] == request.action_id

    events = rt.handle(cid, CustomerConfirm(action_id=request.action_id, decision="yes"))
    assert [e.type for e in events] == ["action_result", "message"]
    assert events[0].type == "action_result" and events[0].status == "succeeded"
    assert _refunds(c) == [("ch_ana_11b", "20.00")]
    # The model is told the outcome and sees the fresh account (the refund is listed).
    third = fake_openai.requests[2]
    assert openai_user_messages(third)[-1].startswith("[confirmation] ")
    notice = json.loads(openai_user_messages(third)[-1].removeprefix("[confirmation] "))
    assert notice["decision"] == "yes" and notice["outcome"]["status"] == "succeeded"
    assert '"refunds":[{' in third["messages"][0]["content"]
    # ... and only those: the stored history keeps no request's instructions, each run sends its own.
    assert [m["role"] for m in third["messages"]].count("system") == 1
    history = rt.store.messages(cid)
    assert [m.instructions for m in history if isinstance(m, ModelRequest)] == [None, None, None]

    usage = rt.usage(cid)
    assert usage.requests == 3 and usage.input_tokens == 300 and usage.output_tokens == 60
    assert Decimal(usage.cost_usd) > 0 and usage.per_model["cheap"].requests == 3
    assert rt.usage(cid, turn=2).requests == 1
    kinds = [(t.role, t.event["type"]) for t in rt.transcript(cid)]
    assert kinds == [
        ("customer", "message"),
        ("agent", "message"),
        ("agent", "confirmation_request"),
        ("customer", "confirm"),
        ("agent", "action_result"),
        ("agent", "message"),
    ]


def test_invented_field_and_wrong_type_go_back_as_retries(
    fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(
        openai_tool_call("refund", {**REFUND_DUP, "customer_id": "cus_bob"}, call_id="c1"),
        openai_tool_call("refund", {**REFUND_DUP, "amount": 20}, call_id="c2"),
        openai_text("Sorry, let me check that again."),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="refund the duplicate"))
    assert [e.type for e in events] == ["message"]
    retry1 = openai_tool_messages(fake_openai.requests[1])[-1]
    retry2 = openai_tool_messages(fake_openai.requests[2])[-1]
    assert "customer_id" in retry1 and "unknown field" in retry1
    assert "amount" in retry2
    assert _refunds(c) == [] and rt.pending_confirmations(cid) == []
    assert rt.conversation(cid).consecutive_failures == 2


def test_malformed_arguments_and_unknown_tool_execute_nothing(
    fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(
        openai_tool_call("refund", '{"charge_id": "ch_ana_11b", ', call_id="c1"),
        openai_tool_call("refund_everything", {}, call_id="c2"),
        openai_text("I could not do that."),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="refund"))
    assert [e.type for e in events] == ["message"]
    assert len(fake_openai.requests) == 3
    assert "refund_everything" in openai_tool_messages(fake_openai.requests[2])[-1]
    assert _refunds(c) == []


def test_another_customers_charge_is_refused(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(
        openai_tool_call("refund", {"charge_id": "ch_bob_11", "amount": None, "reason": None}),
        openai_text("I can't refund that charge."),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="refund ch_bob_11 please"))
    assert [e.type for e in events] == ["action_result", "message"]
    assert events[0].type == "action_result" and events[0].status == "refused"
    assert _refunds(c, "cus_bob") == [] and _refunds(c) == []
    tool = json.loads(openai_tool_messages(fake_openai.requests[1])[-1])
    assert tool["status"] == "refused" and tool["reason"] == "not_yours"


def test_three_failures_in_a_row_hand_off(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(*(openai_tool_call("refund", "{oops", call_id=f"c{i}") for i in range(5)))
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="refund"))
    assert events[-1].type == "handoff" and events[-1].reason == "repeated_failure"
    assert len(fake_openai.requests) == 3  # the fourth request was never sent
    assert rt.conversation(cid).handed_off
    # Later messages get the human-owned notice without running the model.
    later = rt.handle(cid, CustomerMessage(text="hello?"))
    assert [e.type for e in later] == ["message"] and len(fake_openai.requests) == 3
    # The history is still a valid OpenAI conversation (tool calls answered) for whoever resumes it.
    assert rt.store.messages(cid)[-1].kind == "request"


def test_step_limit_stops_the_turn(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(*(openai_tool_call("lookup_account", {}, call_id=f"c{i}") for i in range(25)))
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="what's my plan"))
    assert len(fake_openai.requests) == 20
    handoff = events[-1]
    assert handoff.type == "handoff" and handoff.reason == "out_of_scope"
    assert "step_limit" in handoff.summary and "cus_ana" in handoff.summary


def test_cost_cap_hands_off(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_openai, cost_cap_usd="0.001"))
    fake_openai.push(
        openai_tool_call("lookup_account", {}, prompt=5000, completion=100),  # gpt-4o-mini: $0.00081
        openai_tool_call("lookup_account", {}, call_id="c2", prompt=5000, completion=100),
        openai_text("never sent"),
    )
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="what's my plan"))
    assert len(fake_openai.requests) == 2
    assert events[-1].type == "handoff"
    assert Decimal(rt.usage(cid).cost_usd) >= Decimal("0.001")
    # A cap already reached stops before any request.
    rt2 = make_world(llm_settings(fake_openai, cost_cap_usd="0")).runtime
    cid2 = rt2.start("cus_ana")
    assert rt2.handle(cid2, CustomerMessage(text="hi"))[-1].type == "handoff"
    assert len(fake_openai.requests) == 2


def test_escalation_trigger_is_enforced_in_code(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(openai_text("I understand."))  # the model forgets to hand off
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="My lawyer will sue you over this charge"))
    assert events[-1].type == "handoff" and events[-1].reason == "legal_threat"
    assert "legal_threat" in fake_openai.requests[0]["messages"][0]["content"]


def test_a_trigger_word_does_not_override_a_model_working_on_a_write(
    fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    c = make_world(llm_settings(fake_openai))
    fake_openai.push(openai_tool_call("refund", REFUND_DUP), openai_text("Please confirm the refund."))
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="My bank flagged a double charge, please refund the extra one"))
    assert [e.type for e in events] == ["message", "confirmation_request"]
    assert not rt.conversation(cid).handed_off
