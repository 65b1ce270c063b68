"""Live delivery: an approval decided later reaches the customer's open stream (real uvicorn, real SSE)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from tests.web.conftest import ADMIN, LiveServer
from tests.web.test_admin_api import over_cap_refund

from purser.app import Container
from purser.web.app import WebOptions
from purser.web.live import out_of_band_after, transcript_position


async def next_message(lines: Any, kind: str) -> dict[str, Any]:
    """Read SSE lines until a message of `kind`; its data and id."""
    event, data, ident = "", "", ""
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
        elif line.startswith("id:"):
            ident = line.split(":", 1)[1].strip()
        elif line == "" and event:
            if event == kind:
                return {"data": json.loads(data), "id": ident}
            event, data, ident = "", "", ""
    raise AssertionError(f"stream ended before a {kind!r} message")


async def test_approval_reaches_the_open_stream(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        cid, action_id = await over_cap_refund(client)
        async with client.stream("GET", f"/api/conversations/{cid}/stream") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            await asyncio.wait_for(next_message(lines, "ready"), 10)
            approvals = (await client.get("/api/admin/approvals?status=pending", headers=ADMIN)).json()["approvals"]
            apr = next(a["id"] for a in approvals if a["action_id"] == action_id)
            decided = await client.post(
                f"/api/admin/approvals/{apr}", headers=ADMIN, json={"decision": "approve", "reason": "ok"}
            )
            assert decided.status_code == 200
            message = await asyncio.wait_for(next_message(lines, "agent_events"), 10)
        results = [e for e in message["data"]["events"] if e["type"] == "action_result"]
        assert results and results[0]["action_id"] == action_id and results[0]["status"] == "succeeded"
        assert int(message["id"]) > 0
        # A reconnecting widget resumes after the last id it saw: nothing is replayed.
        async with client.stream(
            "GET", f"/api/conversations/{cid}/stream", headers={"Last-Event-ID": message["id"]}
        ) as again:
            ready = await asyncio.wait_for(next_message(again.aiter_lines(), "ready"), 10)
            assert ready["data"]["after"] == int(message["id"])


async def test_resume_from_zero_replays_only_out_of_band_turns(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        cid, action_id = await over_cap_refund(client)
        apr = next(
            a["id"]
            for a in (await client.get("/api/admin/approvals", headers=ADMIN)).json()["approvals"]
            if a["action_id"] == action_id
        )
        await client.post(f"/api/admin/approvals/{apr}", headers=ADMIN, json={"decision": "deny", "reason": "no"})
        async with client.stream("GET", f"/api/conversations/{cid}/stream?after=0") as stream:
            message = await asyncio.wait_for(next_message(stream.aiter_lines(), "agent_events"), 10)
        kinds = [e["type"] for e in message["data"]["events"]]
        assert "action_result" in kinds and "confirmation_request" not in kinds


def test_out_of_band_turns_only(container: Container) -> None:
    store = container.runtime.store
    cid = container.runtime.start("cus_ana")
    store.append_events(
        cid, 1, [("customer", {"type": "message", "text": "hi"}), ("agent", {"type": "message", "text": "a"})]
    )
    cursor, batches = out_of_band_after(container.runtime.store, cid, 0)
    assert cursor == 2 and batches == []
    store.append_events(cid, 2, [("agent", {"type": "message", "text": "approved"})])
    store.append_events(cid, 3, [("human", {"type": "message", "text": "hello from a person"})])
    cursor, batches = out_of_band_after(container.runtime.store, cid, cursor)
    assert cursor == 4 == transcript_position(container.runtime.store, cid)
    assert [(b["id"], b["source"]) for b in batches] == [(3, "agent"), (4, "human")]
    assert out_of_band_after(container.runtime.store, cid, cursor) == (4, [])


async def test_open_streams_per_conversation_are_bounded(container: Container) -> None:
    with LiveServer(container, WebOptions(max_streams_per_conversation=1)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
            async with client.stream("GET", f"/api/conversations/{cid}/stream") as first:
                lines = first.aiter_lines()  # keep a reference: a collected generator closes the stream
                await asyncio.wait_for(next_message(lines, "ready"), 10)
                second = await client.get(f"/api/conversations/{cid}/stream")
                assert second.status_code == 429
                assert second.json()["error"]["code"] == "rate_limited"
                del lines
            # Closing the first frees the slot.
            for _ in range(50):
                async with client.stream("GET", f"/api/conversations/{cid}/stream") as again:
                    if again.status_code == 200:
                        break
                await asyncio.sleep(0.1)
            assert again.status_code == 200
