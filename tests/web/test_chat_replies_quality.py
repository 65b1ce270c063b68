"""What a customer reads after a request the agent cannot carry out as asked (issue 17), over the real chat
API, runtime, offline model, gateway and sandbox of the demo world: each problem named in the customer's
terms, never the runtime's instruction to a model, and a card that tells two plans apart."""

from __future__ import annotations

from typing import Any

import httpx


async def _turns(client: httpx.AsyncClient, customer: str, *messages: str) -> list[dict[str, Any]]:
    cid = (await client.post("/api/conversations", json={"customer_id": customer})).json()["id"]
    events: list[dict[str, Any]] = []
    for text in messages:
        answer = await client.post(f"/api/conversations/{cid}/events", json={"type": "message", "text": text})
        assert answer.status_code == 200, answer.text
        events += answer.json()["events"]
    return events


def _read(events: list[dict[str, Any]]) -> str:
    return "\n".join(str(e.get("text") or e.get("summary") or "") for e in events)


async def test_an_invalid_vat_id_is_named_without_the_runtime_instruction(client: httpx.AsyncClient) -> None:
    said = _read(await _turns(client, "cus_ana", "my VAT id is DE123456789"))
    assert "DE123456789" in said and "not a valid" in said, said  # the problem, named
    assert "valid arguments" not in said and "update_billing_details" not in said and "Call " not in said, said


async def test_a_switch_between_billing_periods_names_both(client: httpx.AsyncClient) -> None:
    events = await _turns(client, "cus_yves", "switch me to monthly billing")
    card = next(e for e in events if e["type"] == "confirmation_request")
    assert "from Pro to Pro" not in card["summary"], card["summary"]
    assert "year" in card["summary"].lower() and "month" in card["summary"].lower(), card["summary"]
