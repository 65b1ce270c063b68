"""The team inbox over the admin API: one list of everything that needs a person (pending approvals and
every handoff, the guard's escalations included), the conversation list with names, previews and search,
and the customer panel."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.web.conftest import ADMIN
from tests.web.test_admin_api import over_cap_refund
from tests.web.test_chat_api import first, say, start

from purser.app import Container, build_channel_repository
from purser.ports.channels import ChannelLink


async def disputed_refund(client: httpx.AsyncClient) -> str:
    """Dana asks for her disputed October charge back: the guard escalates (no handoff tool involved)."""
    cid = await start(client, "cus_dana")
    events = await say(client, cid, {"type": "message", "text": "Please refund my October charge ch_dana_10"})
    assert first(events, "handoff")["reason"] == "dispute"
    return cid


async def inbox(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN) -> list[dict[str, Any]]:
    """The inbox items."""
    response = await client.get("/api/admin/inbox", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_the_inbox_lists_a_guard_escalation_and_a_pending_approval_newest_first(
    client: httpx.AsyncClient,
) -> None:
    dana = await disputed_refund(client)
    lena, action_id = await over_cap_refund(client)
    items = await inbox(client)
    assert [(i["kind"], i["conversation_id"]) for i in items] == [("approval", lena), ("handoff", dana)]
    approval, handoff = items
    assert approval["customer_name"] == "Lena Fischer" and approval["action_id"] == action_id
    assert approval["channel"] == "web" and approval["reason"] and approval["approval_id"].startswith("apr_")
    assert handoff["customer_name"] == "Dana Reyes" and handoff["reason"] == "dispute"
    assert handoff["summary"].startswith("Reason: dispute")
    for item in items:
        assert item["age_seconds"] >= 0 and item["created_at"].endswith("Z")
        assert item["link"] == f"/admin#conversation={item['conversation_id']}"
        assert item["assignee"] is None
    # The dashboard's badge poll asks without names: the same items, no processor calls.
    bare = (await client.get("/api/admin/inbox", params={"names": "false"}, headers=ADMIN)).json()["items"]
    assert [(i["conversation_id"], i["customer_name"]) for i in bare] == [(lena, None), (dana, None)]
    # Once decided, the approval leaves the inbox; the handoff stays.
    apr = approval["approval_id"]
    decided = await client.post(f"/api/admin/approvals/{apr}", headers=ADMIN, json={"decision": "deny", "reason": "no"})
    assert decided.status_code == 200, decided.text
    assert [i["conversation_id"] for i in await inbox(client)] == [dana]


async def test_a_handoff_released_to_the_agent_leaves_the_inbox(client: httpx.AsyncClient) -> None:
    dana = await disputed_refund(client)
    released = await client.post(f"/api/admin/conversations/{dana}/release", headers=ADMIN)
    assert released.status_code == 200, released.text
    assert await inbox(client) == []


async def test_the_inbox_needs_a_signed_in_person(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/admin/inbox")).status_code == 401
    assert (await client.get("/api/admin/inbox", headers={"Authorization": "Bearer wrong"})).status_code == 401


async def test_conversations_carry_name_channel_status_and_the_last_reply(client: httpx.AsyncClient) -> None:
    dana = await disputed_refund(client)
    ana = await start(client, "cus_ana")
    await say(client, ana, {"type": "message", "text": "What plan am I on?"})
    rows = (await client.get("/api/admin/conversations", headers=ADMIN)).json()["conversations"]
    by_id = {r["id"]: r for r in rows}
    assert by_id[dana]["customer_name"] == "Dana Reyes" and by_id[dana]["customer_email"] == "dana@example.com"
    assert by_id[dana]["status"] == "handed_off" and by_id[dana]["channel"] == "web"
    assert "disputed" in by_id[dana]["last_reply"]
    assert by_id[ana]["customer_name"] == "Ana Silva" and by_id[ana]["last_reply"]


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("dana", {"cus_dana"}),  # the name, any case
        ("REYES", {"cus_dana"}),
        ("Silva", {"cus_ana"}),
        ("dana@example.com", {"cus_dana"}),  # the email
        ("@example.com", {"cus_ana", "cus_dana"}),
        ("cus_ana", {"cus_ana"}),  # the customer id
        ("is disputed with your bank", {"cus_dana"}),  # text of the last reply
        ("nobody-at-all", set()),
    ],
)
async def test_the_search_box_finds_by_id_name_email_or_reply_text(
    client: httpx.AsyncClient, query: str, who: set[str]
) -> None:
    await disputed_refund(client)
    ana = await start(client, "cus_ana")
    await say(client, ana, {"type": "message", "text": "What plan am I on?"})
    response = await client.get("/api/admin/conversations", params={"q": query}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert {r["customer_id"] for r in response.json()["conversations"]} == who


async def test_a_search_longer_than_the_box_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/conversations", params={"q": "x" * 201}, headers=ADMIN)
    assert response.status_code == 422
    assert "q" in response.text


async def test_the_customer_panel(container: Container, client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ben")
    repo = build_channel_repository(container.db)
    repo.link(ChannelLink("slack", "U0BEN", "cus_ben", "admin:test", "2026-11-16T00:00:00Z"))
    response = await client.get(f"/api/admin/conversations/{cid}/customer", headers=ADMIN)
    assert response.status_code == 200, response.text
    panel = response.json()
    assert panel["id"] == "cus_ben" and panel["name"] == "Ben Okafor" and panel["email"] == "ben@example.com"
    assert panel["plan"] == {"name": "Business", "interval": "month", "price": {"amount": "50.00", "currency": "usd"}}
    assert panel["status"] == "past_due"
    assert panel["next_invoice"]["amount"] == {"amount": "50.00", "currency": "usd"}
    assert panel["next_invoice"]["date"].startswith("2026-12-01")
    assert panel["open_invoices"] == [
        {
            "id": "in_ben_11",
            "number": "BEN-0003",
            "created": "2026-11-01T00:00:00Z",
            "total": {"amount": "50.00", "currency": "usd"},
        }
    ]
    assert panel["past_due"] == {"amount": "50.00", "currency": "usd"}
    assert panel["channels"] == [{"channel": "slack", "external_id": "U0BEN"}]


async def test_the_customer_panel_of_an_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/conversations/cnv_nope/customer", headers=ADMIN)
    assert response.status_code == 404
