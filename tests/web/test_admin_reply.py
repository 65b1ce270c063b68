"""A teammate answers the customer in a handed-off conversation (admin API), and hands it back."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tests.web.conftest import ADMIN, LiveServer
from tests.web.test_chat_api import first, say, start
from tests.web.test_live import next_message

from purser.agent.events import agent_event_adapter


async def handed_off(client: httpx.AsyncClient) -> str:
    """Dana asks for a human: the agent hands the conversation off."""
    cid = await start(client, "cus_dana")
    events = await say(client, cid, {"type": "message", "text": "I want to talk to a human please"})
    first(events, "handoff")
    return cid


async def transcript(client: httpx.AsyncClient, cid: str) -> list[dict[str, Any]]:
    """The conversation's transcript entries (customer API)."""
    response = await client.get(f"/api/conversations/{cid}")
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


async def test_reply_reaches_the_open_stream_transcript_and_audit(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        cid = await handed_off(client)
        async with client.stream("GET", f"/api/conversations/{cid}/stream") as stream:
            lines = stream.aiter_lines()
            await asyncio.wait_for(next_message(lines, "ready"), 10)
            response = await client.post(
                f"/api/admin/conversations/{cid}/reply",
                headers=ADMIN,
                json={"text": "Hi Dana, Sam from billing here.", "author": "Sam"},
            )
            assert response.status_code == 200, response.text
            message = await asyncio.wait_for(next_message(lines, "agent_events"), 10)
        body = response.json()
        assert body["role"] == "human" and body["author"] == "Sam" and body["conversation_id"] == cid
        assert body["event"] == {
            "type": "message",
            "text": "Hi Dana, Sam from billing here.",
            "citations": [],
            "author": {"name": "Sam", "initials": "S"},
        }
        agent_event_adapter.validate_python(body["event"])  # the §7 shape, with its optional author
        assert message["data"]["source"] == "human"
        assert message["data"]["events"] == [body["event"]]
        assert int(message["id"]) == body["seq"]

        entries = await transcript(client, cid)
        assert entries[-1]["role"] == "human" and entries[-1]["seq"] == body["seq"]
        assert entries[-1]["event"]["text"] == "Hi Dana, Sam from billing here."

        audit = (await client.get(f"/api/admin/audit?conversation_id={cid}", headers=ADMIN)).json()["records"]
        replies = [r for r in audit if r["kind"] == "human_reply"]
        assert len(replies) == 1 and replies[0]["actor"] == "human:Sam"
        assert replies[0]["data"]["seq"] == body["seq"]
        assert (await client.post("/api/admin/audit/verify", headers=ADMIN)).json()["ok"] is True

        # The customer keeps writing after the handoff: stored, and the teammate sees it.
        await say(client, cid, {"type": "message", "text": "Thanks, it is about the March invoice"})
        detail = (await client.get(f"/api/admin/conversations/{cid}", headers=ADMIN)).json()
        assert detail["status"] == "handed_off"
        said = [e["event"].get("text") for e in detail["transcript"] if e["role"] == "customer"]
        assert "Thanks, it is about the March invoice" in said


async def test_default_author_and_several_replies(client: httpx.AsyncClient) -> None:
    cid = await handed_off(client)
    one = await client.post(f"/api/admin/conversations/{cid}/reply", headers=ADMIN, json={"text": "One"})
    two = await client.post(f"/api/admin/conversations/{cid}/reply", headers=ADMIN, json={"text": "Two"})
    assert one.status_code == two.status_code == 200
    assert one.json()["author"] == "admin"
    assert two.json()["seq"] == one.json()["seq"] + 1 and two.json()["turn"] == one.json()["turn"] + 1
    humans = [e["event"]["text"] for e in await transcript(client, cid) if e["role"] == "human"]
    assert humans == ["One", "Two"]


async def test_reply_needs_the_admin_token(client: httpx.AsyncClient) -> None:
    cid = await handed_off(client)
    before = await transcript(client, cid)
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = await client.post(f"/api/admin/conversations/{cid}/reply", headers=headers, json={"text": "hi"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert await transcript(client, cid) == before


async def test_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/admin/conversations/cnv_nope/reply", headers=ADMIN, json={"text": "hi"})
    assert response.status_code == 404
    assert "cnv_nope" in response.json()["error"]["message"]
    response = await client.post("/api/admin/conversations/cnv_nope/release", headers=ADMIN)
    assert response.status_code == 404


async def test_agent_owned_conversation_is_409(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ana")
    await say(client, cid, {"type": "message", "text": "When is my next invoice?"})
    before = await transcript(client, cid)
    response = await client.post(f"/api/admin/conversations/{cid}/reply", headers=ADMIN, json={"text": "hi"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_handed_off" and "agent owns it" in error["message"]
    assert await transcript(client, cid) == before
    audit = (await client.get(f"/api/admin/audit?conversation_id={cid}", headers=ADMIN)).json()["records"]
    assert not [r for r in audit if r["kind"] == "human_reply"]


async def test_bad_bodies_are_422_and_change_nothing(client: httpx.AsyncClient) -> None:
    cid = await handed_off(client)
    before = await transcript(client, cid)
    cases: list[tuple[Any, str]] = [
        ({"text": ""}, "text"),
        ({"text": "   \n"}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"author": "Sam"}, "text"),
        ({"text": "hi", "author": ""}, "author"),
        ({"text": "hi", "author": "Sam\nEvil"}, "author"),
        ({"text": "hi", "cc": "everyone"}, "cc"),
        ("just text", "body"),
    ]
    for payload, field in cases:
        response = await client.post(f"/api/admin/conversations/{cid}/reply", headers=ADMIN, json=payload)
        assert response.status_code == 422, (payload, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert any(field in d["field"] for d in error["details"]), (payload, error)
    assert await transcript(client, cid) == before


async def test_release_hands_the_conversation_back(client: httpx.AsyncClient) -> None:
    cid = await handed_off(client)
    released = await client.post(f"/api/admin/conversations/{cid}/release", headers=ADMIN)
    assert released.status_code == 200, released.text
    assert released.json() == {"conversation_id": cid, "status": "open"}
    detail = (await client.get(f"/api/admin/conversations/{cid}", headers=ADMIN)).json()
    assert detail["status"] == "open"
    assert [r["actor"] for r in detail["audit"] if r["kind"] == "human_release"] == ["human:admin"]
    # The agent owns it again: no teammate reply, no second release; the agent answers the customer.
    response = await client.post(f"/api/admin/conversations/{cid}/reply", headers=ADMIN, json={"text": "hi"})
    assert response.status_code == 409
    assert (await client.post(f"/api/admin/conversations/{cid}/release", headers=ADMIN)).status_code == 409
    events = await say(client, cid, {"type": "message", "text": "When is my next invoice?"})
    assert first(events, "message")["text"] != "A teammate has this conversation now and will reply here."
