"""Issue 3 over the HTTP API: 20 concurrent conversations of one customer refund one charge exactly once,
and a refund conversation leaves an audit log that verifies, then stops verifying after any one row is altered."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import select, update
from tests.web.conftest import ADMIN
from tests.web.test_chat_api import first, say, start

from purser.store.gateway_tables import gw_audit_log


async def _ask_and_confirm(client: httpx.AsyncClient, cid: str) -> list[dict[str, object]]:
    events = await say(client, cid, {"type": "message", "text": "Please refund charge ch_acme_11"})
    requests = [e for e in events if e["type"] == "confirmation_request"]
    if not requests:
        return events
    return await say(client, cid, {"type": "confirm", "action_id": str(requests[0]["action_id"]), "decision": "yes"})


async def test_twenty_concurrent_conversations_refund_once(client: httpx.AsyncClient) -> None:
    conversations = [await start(client, "cus_acme") for _ in range(20)]
    results = await asyncio.gather(*(_ask_and_confirm(client, cid) for cid in conversations))
    succeeded = [e for events in results for e in events if e["type"] == "action_result" and e["status"] == "succeeded"]
    assert len(succeeded) == 1, succeeded
    refunds = (await client.get("/api/demo/customers/cus_acme")).json()["refunds"]
    assert [r["charge"] for r in refunds if r["charge"] == "ch_acme_11"] == ["ch_acme_11"]


async def test_refund_log_verifies_then_breaks_on_any_altered_row(client: httpx.AsyncClient) -> None:
    cid = await start(client, "cus_ana")
    text = "I was charged twice on November 1st, refund the extra one"
    events = await say(client, cid, {"type": "message", "text": text})
    request = first(events, "confirmation_request")
    done = await say(client, cid, {"type": "confirm", "action_id": request["action_id"], "decision": "yes"})
    assert first(done, "action_result")["status"] == "succeeded"
    verify = (await client.post("/api/admin/audit/verify", headers=ADMIN)).json()
    assert verify["ok"] is True

    db = client._transport.app.state.purser.container.db  # type: ignore[attr-defined]
    with db.read() as conn:
        rows = conn.execute(select(gw_audit_log.c.seq, gw_audit_log.c.data)).all()
    assert len(rows) >= 4
    for seq, data in rows:
        with db.begin() as conn:
            altered = json.dumps({**json.loads(data), "tampered": True})
            conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == seq).values(data=altered))
        broken = (await client.post("/api/admin/audit/verify", headers=ADMIN)).json()
        assert broken["ok"] is False and broken["bad_seq"] == seq, (seq, broken)
        with db.begin() as conn:
            conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == seq).values(data=data))
    assert (await client.post("/api/admin/audit/verify", headers=ADMIN)).json()["ok"] is True
