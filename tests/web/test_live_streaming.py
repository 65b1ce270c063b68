"""Streamed replies over the widget's SSE stream: `message_delta`s while the turn runs (real uvicorn)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.web.conftest import LiveServer, make_container
from tests.web.test_live import next_message

from purser.app import Container
from purser.config import ModelEntry
from purser.testing.llm_server import LLMServer, openai_text, shaped

REPLY = "Your plan is Pro at $20.00 a month, renewing on December 1st."


@pytest.fixture
def fake_openai() -> Iterator[LLMServer]:
    """A scripted OpenAI-compatible server."""
    fake = LLMServer("openai").start()
    yield fake
    fake.stop()


@pytest.fixture
def llm_container(tmp_path: Path, fake_openai: LLMServer) -> Iterator[Container]:
    """The demo world with its model on the fake server."""
    entry = ModelEntry(name="cheap", provider="openai", model="gpt-4o-mini", base_url=fake_openai.base_url)
    c = make_container(tmp_path, model="cheap", models=(entry,))
    yield c
    c.close()


async def sse_messages(lines: Any, into: list[tuple[str, dict[str, Any]]]) -> None:
    """Collect every SSE message (event, data) until cancelled."""
    event, data = "", ""
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
        elif line == "" and event:
            into.append((event, json.loads(data)))
            event, data = "", ""


async def test_a_streamed_reply_reaches_the_open_stream_in_deltas(
    llm_container: Container, fake_openai: LLMServer
) -> None:
    fake_openai.push(shaped(openai_text(REPLY), pace=0.02))
    with LiveServer(llm_container) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
            async with client.stream("GET", f"/api/conversations/{cid}/stream") as stream:
                lines = stream.aiter_lines()
                await asyncio.wait_for(next_message(lines, "ready"), 10)
                seen: list[tuple[str, dict[str, Any]]] = []
                reader = asyncio.create_task(sse_messages(lines, seen))
                turn = await client.post(
                    f"/api/conversations/{cid}/events", json={"type": "message", "text": "what is my plan?"}
                )
                for _ in range(100):  # the deltas were sent before the turn ended; let the reader catch up
                    if "".join(d.get("text", "") for _, d in seen) == REPLY:
                        break
                    await asyncio.sleep(0.02)
                reader.cancel()
            transcript = (await client.get(f"/api/conversations/{cid}")).json()
        events = turn.json()["events"]
        assert events == [{"type": "message", "text": REPLY, "citations": []}]
        deltas = [data for kind, data in seen if kind == "message_delta"]
        assert len(deltas) >= 2 and all(set(d) == {"type", "text"} for d in deltas)
        assert {d["type"] for d in deltas} == {"message_delta"}
        assert "".join(d["text"] for d in deltas) == REPLY
        assert [kind for kind, _ in seen if kind == "agent_events"] == []  # the customer's own turn is not resent
        assert "message_delta" not in json.dumps(transcript)
    assert fake_openai.streamed == [True]
