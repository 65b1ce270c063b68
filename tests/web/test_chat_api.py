"""The chat API of DESIGN §8 against the real bootstrap (sandbox + SQLite + offline model)."""

from __future__ import annotations

from typing import Any

import httpx

from purser.agent.events import agent_event_adapter


async def start(client: httpx.AsyncClient, customer: str) -> str:
    """A new conversation's id."""
    response = await client.post("/api/conversations", json={"customer_id": customer, "channel": "web"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id"}
    return str(body["id"])


async def say(client: httpx.AsyncClient, cid: str, event: dict[str, Any]) -> list[dict[str, Any]]:
    """Post one customer event; the agent's events (each a valid §7 event)."""
    response = await client.post(f"/api/conversations/{cid}/events", json=event)
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    for item in events:
        agent_event_adapter.validate_python(item)
    return list(events)


def first(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The first event of a type."""
    found = [e for e in events if e["type"] == kind]
    assert found, f"no {kind} in {events}"
    return found[0]


async def test_duplicate_refund_quote_confirm_done(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ana")
    await say(client, cid, {"type": "message", "text": "I was charged twice this month"})
    events = await say(client, cid, {"type": "message", "text": "yes please refund the duplicate"})
    request = first(events, "confirmation_request")
    assert request["action"] == "refund"
    assert request["quote"]["amount"] == "20.00"
    events = await say(client, cid, {"type": "confirm", "action_id": request["action_id"], "decision": "yes"})
    result = first(events, "action_result")
    assert result["status"] == "succeeded"
    # The account changed, as the demo panel shows it.
    account = (await client.get("/api/demo/customers/cus_ana")).json()
    assert any(r["charge"] == "ch_ana_11b" and r["amount"] == "20.00" for r in account["refunds"])
    # The transcript holds both sides in order; answering the same confirmation again is refused.
    transcript = (await client.get(f"/api/conversations/{cid}")).json()
    roles = [e["role"] for e in transcript["entries"]]
    assert roles[0] == "customer" and "agent" in roles
    assert [e["seq"] for e in transcript["entries"]] == sorted(e["seq"] for e in transcript["entries"])
    again = await client.post(
        f"/api/conversations/{cid}/events",
        json={"type": "confirm", "action_id": request["action_id"], "decision": "yes"},
    )
    assert again.status_code == 409
    refunds = (await client.get("/api/demo/customers/cus_ana")).json()["refunds"]
    assert len([r for r in refunds if r["charge"] == "ch_ana_11b"]) == 1


async def test_decline_changes_nothing(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ana")
    await say(client, cid, {"type": "message", "text": "I was charged twice this month"})
    events = await say(client, cid, {"type": "message", "text": "yes please refund the duplicate"})
    request = first(events, "confirmation_request")
    before = (await client.get("/api/demo/customers/cus_ana")).json()["refunds"]
    await say(client, cid, {"type": "confirm", "action_id": request["action_id"], "decision": "no"})
    assert (await client.get("/api/demo/customers/cus_ana")).json()["refunds"] == before


async def test_demo_customers_and_health(client: httpx.AsyncClient) -> None:
    customers = (await client.get("/api/demo/customers")).json()["customers"]
    assert {"cus_ana", "cus_lena"} <= {c["id"] for c in customers}
    assert (await client.get("/api/demo/customers/cus_nobody")).status_code == 404
    health = (await client.get("/api/health")).json()
    assert health["identity_verification"] is False
    assert health["writes_enabled"] is True


async def test_pages_and_assets_are_served(client: httpx.AsyncClient) -> None:
    for path, kind in (
        ("/", "text/html"),
        ("/admin", "text/html"),
        ("/widget.js", "javascript"),
        ("/static/widget.css", "text/css"),
        ("/static/admin.js", "javascript"),
        ("/static/charts.js", "javascript"),
        ("/api/docs", "text/html"),
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"], path
    spec = (await client.get("/api/openapi.json")).json()
    for path in (
        "/api/conversations",
        "/api/conversations/{conversation_id}/events",
        "/api/conversations/{conversation_id}",
        "/api/conversations/{conversation_id}/stream",
        "/api/admin/approvals",
        "/api/admin/approvals/{approval_id}",
        "/api/admin/handoffs",
        "/api/admin/audit",
        "/api/admin/audit/verify",
        "/api/admin/metrics",
        "/api/admin/policy",
    ):
        assert path in spec["paths"], path
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


async def test_widget_script_uses_no_cdn(client: httpx.AsyncClient) -> None:
    for path in (
        "/widget.js",
        "/static/admin.js",
        "/static/demo.js",
        "/static/charts.js",
        "/static/apidocs.js",
        "/",
        "/admin",
        "/api/docs",
    ):
        text = (await client.get(path)).text
        assert "cdn" not in text.lower()
        assert "https://" not in text.replace("https://support.example.com", "")
