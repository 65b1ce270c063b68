"""The ag_ tables through `ConversationStore`, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart, UserPromptPart

from purser.agent.transcript import (
    ConversationBusy,
    ConversationNotFound,
    ConversationStore,
    PendingConfirmation,
    TurnWrite,
    encode_messages,
    without_instructions,
)
from purser.ports.conversations import UsageRow
from purser.store.db import Database
from purser.store.unit_of_work import SqlUnitOfWorkFactory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        db = Database(request.getfixturevalue("pg_url"))
    db.migrate()
    yield ConversationStore(SqlUnitOfWorkFactory(db))
    db.dispose()


def test_turns_round_trip(store: ConversationStore) -> None:
    cid = store.create("cus_ana", "web")
    record = store.get(cid)
    assert (record.status, record.turns, record.version) == ("open", 0, 0)
    messages = [
        ModelRequest(parts=[UserPromptPart(content="refund please")]),
        ModelResponse(parts=[ToolCallPart("refund", {"charge_id": "ch_1"}, tool_call_id="c1")], model_name="m"),
        ModelResponse(parts=[TextPart("Please confirm.")], model_name="m"),
    ]
    write = TurnWrite(
        turn=1,
        messages=encode_messages(messages),
        events=(
            ("customer", {"type": "message", "text": "refund please"}),
            ("agent", {"type": "message", "text": "ok"}),
        ),
        new_confirmations=(
            PendingConfirmation("act_1", cid, "refund", "Refund $20.00", {"amount": "20.00"}, "pending"),
        ),
        usage=(UsageRow("m", 2, 10, 5, "0.00012", True),),
        consecutive_failures=1,
        cost_usd="0.00012",
        last_reply="ok",
    )
    record = store.commit_turn(record, write)
    assert (record.turns, record.version, record.consecutive_failures) == (1, 1, 1)
    assert (record.message_seq, record.event_seq, record.cost_usd, record.last_reply) == (3, 2, "0.00012", "ok")
    assert store.get(cid) == record
    loaded = store.messages(cid)
    assert [m.kind for m in loaded] == ["request", "response", "response"]
    assert isinstance(loaded[1].parts[0], ToolCallPart) and loaded[1].parts[0].args == {"charge_id": "ch_1"}
    assert [c.action_id for c in store.pending_confirmations(cid)] == ["act_1"]
    assert store.confirmation("act_1").quote == {"amount": "20.00"}  # type: ignore[union-attr]
    record = store.commit_turn(
        record, TurnWrite(turn=2, answered=(("act_1", "yes"),), status="handed_off", handoff_reason="dispute")
    )
    assert record.handed_off and record.handoff_reason == "dispute"
    assert store.pending_confirmations(cid) == [] and store.confirmation("act_1").status == "yes"  # type: ignore[union-attr]
    assert [(t.seq, t.role, t.event["type"]) for t in store.transcript(cid)] == [
        (1, "customer", "message"),
        (2, "agent", "message"),
    ]
    usage = store.usage(cid)
    assert usage.cost_usd == "0.00012" and usage.turns == 1 and store.usage(cid, turn=2).requests == 0
    with pytest.raises(ConversationBusy):
        store.commit_turn(replace(store.get(cid), version=0), TurnWrite(turn=3))
    with pytest.raises(ConversationNotFound):
        store.get("cnv_nope")


def test_history_keeps_no_instructions_and_older_rows_still_load(store: ConversationStore) -> None:
    cid = store.create("cus_ana", "web")
    record = store.get(cid)
    # A row written before requests were stored without their instructions.
    legacy = ModelRequest(parts=[UserPromptPart(content="hi")], instructions="You are Purser. " * 500)
    record = store.commit_turn(record, TurnWrite(turn=1, messages=encode_messages([legacy])))
    sent = ModelRequest(parts=[UserPromptPart(content="and my invoice?")], instructions="the current prompt")
    reply = ModelResponse(parts=[TextPart("Here it is.")], model_name="m")
    stored = without_instructions([sent, reply])
    assert stored[0] is sent and sent.instructions is None  # the same objects, as history keeps them
    write = TurnWrite(turn=2, messages=encode_messages(stored))
    assert all('"instructions":null' in item for item in write.messages[:1])
    assert sum(len(item) for item in write.messages) < 1000
    _, history = store.load(cid)
    record = store.commit_turn(store.get(cid), write, history=history, new=stored)
    for loaded in (store.messages(cid), store.load(cid)[1]):
        assert [m.kind for m in loaded] == ["request", "request", "response"]
        assert [m.instructions for m in loaded if isinstance(m, ModelRequest)] == [None, None]
        assert isinstance(loaded[0].parts[0], UserPromptPart) and loaded[0].parts[0].content == "hi"
