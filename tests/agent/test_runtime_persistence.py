"""Conversations persist: another process resumes them; approvals are delivered to the conversation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from agent_world import NOW, WORLD, llm_settings

from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage
from purser.agent.runtime import RuntimeInputError
from purser.agent.transcript import ConversationBusy, TurnWrite
from purser.app import Container, wire
from purser.domain import CustomerId
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.testing.llm_server import LLMServer, openai_text, openai_tool_call, openai_user_messages
from purser.worlds import parse_world
from purser.worlds.loader import load_world

REFUND_DUP = {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}


def _process(url: str, fake: LLMServer) -> Container:
    """What a separate process would build: its own engine over the same database."""
    db = Database(url)
    settings = llm_settings(fake, database_url=url)
    return wire(settings, db, SandboxProcessor(db), settings.policy, knowledge=None)


def test_another_process_resumes_the_conversation(tmp_path: Path, fake_openai: LLMServer) -> None:
    url = f"sqlite:///{tmp_path / 'purser.db'}"
    db = Database(url)
    db.migrate()
    load_world(SandboxProcessor(db), parse_world(WORLD, source="test"), NOW)
    db.dispose()
    first, second = _process(url, fake_openai), _process(url, fake_openai)
    try:
        fake_openai.push(openai_tool_call("refund", REFUND_DUP), openai_text("Please confirm."))
        cid = first.runtime.start("cus_ana")
        events = first.runtime.handle(cid, CustomerMessage(text="I was charged twice"))
        action_id = events[-1].action_id  # type: ignore[union-attr]
        assert [c.action_id for c in second.runtime.pending_confirmations(cid)] == [action_id]

        fake_openai.push(openai_text("Refunded."))
        events = second.runtime.handle(cid, CustomerConfirm(action_id=action_id, decision="yes"))
        assert [e.type for e in events] == ["action_result", "message"]
        # The second process sent the whole history: the first turn's prompt, tool call and result.
        sent = fake_openai.requests[-1]["messages"]
        assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "assistant", "user"]
        assert openai_user_messages(fake_openai.requests[-1])[0] == "I was charged twice"
        assert len(first.runtime.transcript(cid)) == 6
        with pytest.raises(RuntimeInputError, match="already answered"):
            first.runtime.handle(cid, CustomerConfirm(action_id=action_id, decision="yes"))
        refunds = first.processor.snapshot(CustomerId("cus_ana")).refunds
        assert len(refunds) == 1
    finally:
        first.close()
        second.close()


def test_a_stale_turn_is_not_saved(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    cid = rt.start("cus_ana")
    stale = rt.conversation(cid)
    rt.store.commit_turn(stale, TurnWrite(turn=1, events=(("customer", {"type": "message", "text": "a"}),)))
    with pytest.raises(ConversationBusy):
        rt.store.commit_turn(stale, TurnWrite(turn=1, events=(("customer", {"type": "message", "text": "b"}),)))
    assert [t.event["text"] for t in rt.transcript(cid)] == ["a"]


def test_bad_events_change_nothing(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    with pytest.raises(RuntimeInputError, match="cus_nobody"):
        rt.start("cus_nobody")
    with pytest.raises(RuntimeInputError, match="cnv_missing"):
        rt.handle("cnv_missing", CustomerMessage(text="hi"))
    cid = rt.start("cus_ana")
    with pytest.raises(RuntimeInputError, match="act_nope"):
        rt.handle(cid, CustomerConfirm(action_id="act_nope", decision="yes"))
    with pytest.raises(RuntimeInputError, match="apr_nope"):
        rt.decide_approval("apr_nope", approve=True, approver="sam", reason="ok")
    assert rt.transcript(cid) == [] and fake_openai.requests == []


def test_approval_is_delivered_to_the_conversation(
    fake_openai: LLMServer, make_world: Callable[..., Container]
) -> None:
    c = make_world(llm_settings(fake_openai), policy_overrides={"refunds": {"max_amount": "5.00"}})
    rt = c.runtime
    cid = rt.start("cus_bob")
    delivered: list[tuple[str, list[AgentEvent]]] = []
    unsubscribe = rt.subscribe(cid, lambda conv, events: delivered.append((conv, events)))
    fake_openai.push(
        openai_tool_call("refund", {"charge_id": "ch_bob_11", "amount": None, "reason": "requested_by_customer"}),
        openai_text("Please confirm; a teammate will review it."),
        openai_text("A teammate is reviewing your refund."),
        openai_text("Good news: your refund was approved."),
    )
    events = rt.handle(cid, CustomerMessage(text="Please refund my November charge"))
    action_id = events[-1].action_id  # type: ignore[union-attr]
    events = rt.handle(cid, CustomerConfirm(action_id=action_id, decision="yes"))
    assert [e.type for e in events] == ["approval_pending", "message"]
    (approval,) = c.gateway.approvals(conversation_id=cid)

    conv, events = rt.decide_approval(approval.id, approve=True, approver="sam", reason="loyal customer")
    assert conv == cid
    assert [e.type for e in events] == ["action_result", "message"]
    assert events[0].status == "succeeded"  # type: ignore[union-attr]
    notice = openai_user_messages(fake_openai.requests[-1])[-1]
    assert notice.startswith("[approval] ") and '"decision":"approved"' in notice
    assert [len(batch) for _, batch in delivered] == [2, 2, 2]
    assert delivered[-1][1] == events
    unsubscribe()
    with pytest.raises(RuntimeInputError, match="already decided"):
        rt.decide_approval(approval.id, approve=False, approver="sam", reason="changed my mind")
    refunds = c.processor.snapshot(CustomerId("cus_bob")).refunds
    assert [r.amount.amount_str() for r in refunds] == ["20.00"]


async def test_async_api_and_live_queue(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    cid = rt.start("cus_ana")
    live = rt.queue(cid)
    fake_openai.push(openai_text("Hi Ana."))
    events = await rt.ahandle(cid, CustomerMessage(text="hello"))
    batch = await asyncio.wait_for(live.get(), timeout=5)
    live.close()
    assert batch == events and events[0].text == "Hi Ana."  # type: ignore[union-attr]


async def test_concurrent_turns(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai)).runtime
    ana, bob = rt.start("cus_ana"), rt.start("cus_bob")
    fake_openai.push(*(openai_text(f"reply {i}") for i in range(4)))
    results = await asyncio.gather(
        rt.ahandle(ana, CustomerMessage(text="one")),
        rt.ahandle(bob, CustomerMessage(text="two")),
        rt.ahandle(ana, CustomerMessage(text="three")),  # waits for ana's first turn
        asyncio.to_thread(rt.handle, bob, CustomerMessage(text="four")),
    )
    assert all(len(events) == 1 for events in results)
    assert [t.event["type"] for t in rt.transcript(ana)] == ["message"] * 4
    assert rt.conversation(ana).turns == 2 and rt.conversation(bob).turns == 2
