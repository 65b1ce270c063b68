"""Working the inbox over the admin API: claim, assign and resolve a handed-off conversation and private
notes. Every change is an audit record with the authenticated person as actor; a note never reaches the
customer's transcript nor a live stream (so no channel); bad input changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.web.conftest import ADMIN
from tests.web.test_chat_api import say
from tests.web.test_inbox import disputed_refund, inbox
from tests.web.test_people_approvals import Team

from purser.app import Container


def inbox_audit(container: Container, cid: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, actor, data) of the conversation's inbox_* audit records, in order."""
    records = container.audit.records(conversation_id=cid)
    return [(r.kind, r.actor, r.data) for r in records if r.kind.startswith("inbox_")]


async def test_claim_assign_and_resolve_are_audited_as_the_person(
    container: Container, client: httpx.AsyncClient
) -> None:
    team = Team(container)
    alice = team.add("alice", "agent")
    team.add("bob", "agent")
    cid = await disputed_refund(client)
    claimed = await client.post(f"/api/admin/conversations/{cid}/claim", headers=alice)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee"] == "alice"
    assert [i["assignee"] for i in await inbox(client)] == ["alice"]
    given = await client.post(f"/api/admin/conversations/{cid}/assign", headers=alice, json={"assignee": "bob"})
    assert given.status_code == 200, given.text
    assert [i["assignee"] for i in await inbox(client)] == ["bob"]
    resolved = await client.post(f"/api/admin/conversations/{cid}/resolve", headers=alice)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_by"] == "alice"
    assert await inbox(client) == []  # resolved: nothing left for a person
    assert inbox_audit(container, cid) == [
        ("inbox_claimed", "human:alice", {"assignee": "alice"}),
        ("inbox_assigned", "human:alice", {"assignee": "bob", "previous_assignee": "alice"}),
        ("inbox_resolved", "human:alice", {"assignee": "bob"}),
    ]
    assert container.audit.verify().ok
    # Resolving again when nothing happened since is a conflict and writes nothing.
    again = await client.post(f"/api/admin/conversations/{cid}/resolve", headers=alice)
    assert again.status_code == 409 and "resolved by alice" in again.text
    assert len(inbox_audit(container, cid)) == 3


async def test_the_customer_writing_again_reopens_a_resolved_conversation(
    container: Container, client: httpx.AsyncClient
) -> None:
    alice = Team(container).add("alice", "agent")
    cid = await disputed_refund(client)
    assert (await client.post(f"/api/admin/conversations/{cid}/resolve", headers=alice)).status_code == 200
    assert await inbox(client) == []
    await say(client, cid, {"type": "message", "text": "Hello? Anyone there about my dispute?"})
    assert [i["conversation_id"] for i in await inbox(client)] == [cid]


async def test_a_viewer_cannot_work_the_inbox_and_nothing_changes(
    container: Container, client: httpx.AsyncClient
) -> None:
    viewer = Team(container).add("vic", "viewer")
    cid = await disputed_refund(client)
    assert len(await inbox(client, viewer)) == 1  # a viewer reads
    for path, body in (("claim", None), ("assign", {"assignee": "vic"}), ("resolve", None), ("notes", {"text": "x"})):
        response = await client.post(f"/api/admin/conversations/{cid}/{path}", headers=viewer, json=body)
        assert response.status_code == 403, (path, response.text)
        assert "viewer" in response.json()["error"]["message"]
    assert inbox_audit(container, cid) == []


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"assignee": "nobody"}, 404, "nobody"),  # not a person
        ({"assignee": "   "}, 422, "assignee"),
        ({"assignee": "x" * 65}, 422, "assignee"),
        ({}, 422, "assignee"),
    ],
)
async def test_assigning_to_someone_who_is_not_a_person_is_refused(
    container: Container, client: httpx.AsyncClient, body: dict[str, Any], status: int, words: str
) -> None:
    cid = await disputed_refund(client)
    response = await client.post(f"/api/admin/conversations/{cid}/assign", headers=ADMIN, json=body)
    assert response.status_code == status, response.text
    assert words in response.text
    assert inbox_audit(container, cid) == [] and [i["assignee"] for i in await inbox(client)] == [None]


async def test_working_an_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    for path, body in (("claim", None), ("resolve", None), ("notes", {"text": "hello"})):
        response = await client.post(f"/api/admin/conversations/cnv_missing/{path}", headers=ADMIN, json=body)
        assert response.status_code == 404, (path, response.text)
    assert (await client.get("/api/admin/conversations/cnv_missing/notes", headers=ADMIN)).status_code == 404


async def test_private_notes_stay_with_the_team(container: Container, client: httpx.AsyncClient) -> None:
    alice = Team(container).add("alice", "agent")
    cid = await disputed_refund(client)
    published: list[Any] = []
    unsubscribe = container.runtime.subscribe(cid, lambda _cid, events: published.extend(events))
    try:
        secret = "Bank says the dispute closes Friday; do not promise anything."
        added = await client.post(f"/api/admin/conversations/{cid}/notes", headers=alice, json={"text": f"  {secret} "})
        assert added.status_code == 200, added.text
        assert added.json()["author"] == "alice" and added.json()["text"] == secret
    finally:
        unsubscribe()
    notes = (await client.get(f"/api/admin/conversations/{cid}/notes", headers=ADMIN)).json()["notes"]
    assert [(n["author"], n["text"]) for n in notes] == [("alice", secret)]
    assert published == []  # nothing went to the customer's live stream (which channels deliver from)
    transcript = (await client.get(f"/api/conversations/{cid}")).json()
    assert secret not in str(transcript)  # the customer's transcript never has it
    assert inbox_audit(container, cid) == [("inbox_note", "human:alice", {"note_id": notes[0]["id"], "text": secret})]


@pytest.mark.parametrize(("text", "words"), [("   ", "needs some text"), ("x" * 4001, "at most 4000")])
async def test_a_blank_or_huge_note_is_refused(
    container: Container, client: httpx.AsyncClient, text: str, words: str
) -> None:
    cid = await disputed_refund(client)
    response = await client.post(f"/api/admin/conversations/{cid}/notes", headers=ADMIN, json={"text": text})
    assert response.status_code == 422, response.text
    assert words in response.text
    assert (await client.get(f"/api/admin/conversations/{cid}/notes", headers=ADMIN)).json()["notes"] == []
    assert inbox_audit(container, cid) == []


async def _unread(client: httpx.AsyncClient, who: dict[str, str], cid: str) -> tuple[bool, bool]:
    rows = (await client.get("/api/admin/conversations", headers=who)).json()["conversations"]
    items = await inbox(client, who)
    return next(r["unread"] for r in rows if r["id"] == cid), next(
        i["unread"] for i in items if i["conversation_id"] == cid
    )


async def test_unread_is_per_person_until_they_open_it(container: Container, client: httpx.AsyncClient) -> None:
    team = Team(container)
    alice, bob = team.add("alice", "agent"), team.add("bob", "viewer")
    cid = await disputed_refund(client)
    assert await _unread(client, alice, cid) == (True, True)
    seen = await client.post(f"/api/admin/conversations/{cid}/read", headers=alice)
    assert seen.status_code == 200, seen.text
    assert await _unread(client, alice, cid) == (False, False)
    assert await _unread(client, bob, cid) == (True, True)  # bob has not opened it
    await say(client, cid, {"type": "message", "text": "Any news about my dispute?"})
    assert await _unread(client, alice, cid) == (True, True)  # something new since alice looked
    assert (await client.post(f"/api/admin/conversations/{cid}/read", headers=bob)).status_code == 200  # a viewer reads
    assert await _unread(client, bob, cid) == (False, False)
    assert (await client.post("/api/admin/conversations/cnv_missing/read", headers=bob)).status_code == 404
