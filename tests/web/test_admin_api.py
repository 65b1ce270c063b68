"""The admin API: approvals (decide resumes the conversation), handoffs, conversations, audit, metrics, policy."""

from __future__ import annotations

import httpx
from tests.web.conftest import ADMIN
from tests.web.test_chat_api import first, say, start


async def over_cap_refund(client: httpx.AsyncClient) -> tuple[str, str]:
    """Lena (already refunded once this quarter) asks for a refund: after her Confirm it awaits approval."""
    cid = await start(client, "cus_lena")
    events = await say(client, cid, {"type": "message", "text": "Please refund my November payment"})
    request = first(events, "confirmation_request")
    events = await say(client, cid, {"type": "confirm", "action_id": request["action_id"], "decision": "yes"})
    pending = first(events, "approval_pending")
    assert pending["action_id"] == request["action_id"]
    return cid, request["action_id"]


async def test_approve_resumes_the_conversation(client: httpx.AsyncClient) -> None:
    cid, action_id = await over_cap_refund(client)
    approvals = (await client.get("/api/admin/approvals", headers=ADMIN)).json()["approvals"]
    mine = [a for a in approvals if a["action_id"] == action_id]
    assert mine and mine[0]["status"] == "pending" and mine[0]["conversation_id"] == cid
    apr = mine[0]["id"]
    response = await client.post(
        f"/api/admin/approvals/{apr}", headers=ADMIN, json={"decision": "approve", "reason": "loyal customer"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["conversation_id"] == cid
    assert first(body["events"], "action_result")["status"] == "succeeded"
    refunds = (await client.get("/api/demo/customers/cus_lena")).json()["refunds"]
    assert any(r["charge"] == "ch_lena_11" for r in refunds)
    # Deciding twice is refused and changes nothing.
    again = await client.post(f"/api/admin/approvals/{apr}", headers=ADMIN, json={"decision": "deny", "reason": "x"})
    assert again.status_code == 409
    decided = (await client.get("/api/admin/approvals?status=approved", headers=ADMIN)).json()["approvals"]
    assert [a["id"] for a in decided] == [apr]
    # The customer's transcript holds the outcome.
    entries = (await client.get(f"/api/conversations/{cid}")).json()["entries"]
    assert any(e["event"]["type"] == "action_result" and e["event"]["status"] == "succeeded" for e in entries)


async def test_deny(client: httpx.AsyncClient) -> None:
    _cid, action_id = await over_cap_refund(client)
    apr = next(
        a["id"]
        for a in (await client.get("/api/admin/approvals", headers=ADMIN)).json()["approvals"]
        if a["action_id"] == action_id
    )
    response = await client.post(
        f"/api/admin/approvals/{apr}", headers=ADMIN, json={"decision": "deny", "reason": "no"}
    )
    assert response.status_code == 200
    refunds = (await client.get("/api/demo/customers/cus_lena")).json()["refunds"]
    assert not any(r["charge"] == "ch_lena_11" for r in refunds)


async def test_decide_bad_input(client: httpx.AsyncClient) -> None:
    missing = await client.post("/api/admin/approvals/apr_nope", headers=ADMIN, json={"decision": "approve"})
    assert missing.status_code == 404
    bad = await client.post("/api/admin/approvals/apr_nope", headers=ADMIN, json={"decision": "maybe"})
    assert bad.status_code == 422
    assert (await client.get("/api/admin/approvals?status=weird", headers=ADMIN)).status_code == 422


async def test_conversation_detail_audit_verify_metrics_policy(client: httpx.AsyncClient) -> None:
    cid, _action = await over_cap_refund(client)
    listed = (await client.get("/api/admin/conversations", headers=ADMIN)).json()["conversations"]
    assert cid in [c["id"] for c in listed]
    detail = (await client.get(f"/api/admin/conversations/{cid}", headers=ADMIN)).json()
    assert detail["customer_id"] == "cus_lena"
    assert detail["transcript"] and detail["tool_calls"]
    assert any(t["action"] == "refund" for t in detail["tool_calls"])
    assert any(r["kind"] == "guard_decision" for r in detail["audit"]) or detail["audit"]
    assert detail["usage"] is not None
    assert (await client.get("/api/admin/conversations/cnv_nope", headers=ADMIN)).status_code == 404

    audit = (await client.get("/api/admin/audit?limit=5", headers=ADMIN)).json()
    assert audit["total"] >= len(audit["records"]) > 0
    seqs = [r["seq"] for r in audit["records"]]
    assert seqs == sorted(seqs, reverse=True)
    verify = (await client.post("/api/admin/audit/verify", headers=ADMIN)).json()
    assert verify["ok"] is True and verify["records"] == audit["total"]

    metrics = (await client.get("/api/admin/metrics", headers=ADMIN)).json()
    assert metrics["automation"]["conversations"] >= 1
    assert metrics["refunds"]["daily_budget"] == "500.00"
    assert len(metrics["refunds"]["series"]) == 14
    assert metrics["latency"]["turns"] >= 2 and metrics["latency"]["p50_ms"] is not None
    assert any(row["model"] == "offline" for row in metrics["automation"]["cost_by_model"])

    policy = (await client.get("/api/admin/policy", headers=ADMIN)).json()
    assert policy["policy"]["refunds"]["window_days"] == 30
    assert policy["writes_enabled"] is True


async def test_tampered_audit_log_fails_verification(client: httpx.AsyncClient) -> None:
    await over_cap_refund(client)
    transport = client._transport
    app = transport.app  # type: ignore[attr-defined]
    db = app.state.purser.container.db
    from sqlalchemy import update

    from purser.store.gateway_tables import gw_audit_log

    with db.begin() as conn:
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == 1).values(actor="mallory"))
    verify = (await client.post("/api/admin/audit/verify", headers=ADMIN)).json()
    assert verify["ok"] is False and verify["bad_seq"] == 1


async def test_handoffs_inbox(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_dana")
    await say(client, cid, {"type": "message", "text": "I want to talk to a human please"})
    handoffs = (await client.get("/api/admin/handoffs", headers=ADMIN)).json()["handoffs"]
    mine = [h for h in handoffs if h["conversation_id"] == cid]
    assert mine, handoffs
    assert mine[0]["summary"] and mine[0]["reason"]
