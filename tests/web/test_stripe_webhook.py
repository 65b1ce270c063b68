"""`POST /webhooks/stripe` over the app: signature checked, once per event id, disputes filed for a human."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

from purser.web.app import create_app

from .conftest import asgi_client, make_container

SECRET = "whsec_web_test"


def _signed(body: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(body).encode()
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


async def test_webhook_route(tmp_path: Path) -> None:
    container = make_container(tmp_path, stripe_webhook_secret=SECRET)
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_x",
        "amount": 2000,
        "currency": "usd",
        "reason": "fraudulent",
    }
    event = {"id": "evt_web_1", "object": "event", "type": "charge.dispute.created", "created": int(time.time()),
             "data": {"object": dispute}}  # fmt: skip
    payload, headers = _signed(event)
    async with asgi_client(container) as client:
        first = await client.post("/webhooks/stripe", content=payload, headers=headers)
        again = await client.post("/webhooks/stripe", content=payload, headers=headers)
        bad = await client.post(
            "/webhooks/stripe", content=payload, headers={**headers, "Stripe-Signature": "t=1,v1=00"}
        )
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False and "hold refunds on ch_x" in first.json()["actions"]
    assert again.json()["duplicate"] is True
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_signature"
    handoffs = [r for r in container.audit.records() if r.kind == "handoff"]
    assert len(handoffs) == 1 and "ch_x" in handoffs[0].data["summary"]
    container.close()


async def test_webhooks_off_without_a_secret(tmp_path: Path) -> None:
    container = make_container(tmp_path)
    create_app(container)
    async with asgi_client(container) as client:
        response = await client.post("/webhooks/stripe", content=b"{}")
    assert response.status_code == 404
    assert "STRIPE_WEBHOOK_SECRET" in response.json()["error"]["message"]
    container.close()
