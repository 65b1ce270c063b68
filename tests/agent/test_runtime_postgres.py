"""A whole conversation on PostgreSQL: migrations, sandbox, gateway and runtime in a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from agent_world import NOW, WORLD
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from purser.agent.events import CustomerConfirm, CustomerMessage
from purser.app import wire
from purser.config import Settings
from purser.domain import CustomerId
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.worlds import parse_world
from purser.worlds.loader import load_world

pytestmark = pytest.mark.postgres
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


@pytest.fixture
def pg_database() -> Iterator[str]:
    import psycopg

    name = f"purser_agent_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    last = messages[-1].parts[-1]
    if isinstance(last, ToolReturnPart):
        return ModelResponse(parts=[TextPart("Please confirm the refund.")])
    if "charged twice" in str(getattr(last, "content", "")):
        args = {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"}
        return ModelResponse(parts=[ToolCallPart("refund", args, tool_call_id="c1")])
    return ModelResponse(parts=[TextPart("Done.")])


def test_conversation_on_postgres(pg_database: str) -> None:
    db = Database(pg_database)
    try:
        db.migrate()
        processor = SandboxProcessor(db)
        load_world(processor, parse_world(WORLD, source="test"), NOW)
        settings = Settings(database_url=pg_database)
        container = wire(settings, db, processor, settings.policy, knowledge=None, model=FunctionModel(_script))
        rt = container.runtime
        cid = rt.start("cus_ana")
        events = rt.handle(cid, CustomerMessage(text="I was charged twice"))
        assert [e.type for e in events] == ["message", "confirmation_request"]
        events = rt.handle(cid, CustomerConfirm(action_id=events[1].action_id, decision="yes"))  # type: ignore[union-attr]
        assert [e.type for e in events] == ["action_result", "message"]
        assert [r.charge_id for r in processor.snapshot(CustomerId("cus_ana")).refunds] == ["ch_ana_11b"]
        assert len(rt.transcript(cid)) == 6 and rt.usage(cid).requests == 3
        assert [m.kind for m in rt.store.messages(cid)][-2:] == ["request", "response"]
    finally:
        db.dispose()
