"""Webhooks: signatures, repeated deliveries, and what each event type does (on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from purser.domain import ChargeId
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe.client import make_client
from purser.processors.stripe.webhooks import WebhookHandler, WebhookSignatureError
from purser.store.db import Database
from purser.store.stripe_tables import st_dunning, st_money_movements, st_subscription_updates

from .conftest import stripe_fixture

SECRET = "whsec_test_purser"


def sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    stamp = at if at is not None else int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def event(kind: str, obj: dict[str, Any], event_id: str = "evt_1") -> bytes:
    body = stripe_fixture("event")
    body.update(id=event_id, type=kind, data={"object": obj}, created=int(time.time()))
    return json.dumps(body).encode()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path}/wh.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    database.create_all()
    yield database
    if request.param == "postgres":
        database.drop_all()
    database.dispose()


def test_bad_signatures_are_refused_and_change_nothing(db: Database) -> None:
    handler = WebhookHandler(db, SECRET)
    payload = event("refund.created", {"id": "re_1", "amount": 100, "currency": "usd", "charge": "ch_1"})
    for header in (
        None,
        "",
        "t=1,v1=deadbeef",
        sign(payload, "whsec_other"),
        sign(payload, at=int(time.time()) - 3600),
    ):
        with pytest.raises(WebhookSignatureError):
            handler.handle(payload, header)
    with db.read() as conn:
        assert conn.execute(select(st_money_movements)).all() == []
    with pytest.raises(InvalidRequest):
        handler.handle(b"not json", sign(b"not json"))


def test_repeated_event_ids_are_ignored(db: Database) -> None:
    handler = WebhookHandler(db, SECRET)
    refund = {"id": "re_1", "amount": 500, "currency": "usd", "charge": "ch_1", "metadata": {"conversation": "c1"}}
    payload = event("refund.created", refund)
    first = handler.handle(payload, sign(payload))
    again = handler.handle(payload, sign(payload))
    assert not first.duplicate and again.duplicate
    with db.read() as conn:
        rows = conn.execute(select(st_money_movements)).all()
    assert [(r.id, r.amount_minor) for r in rows] == [("re_1", 500)]


def test_each_event_type_acts(db: Database) -> None:
    handler = WebhookHandler(db, SECRET)
    invoice = stripe_fixture("invoice")
    invoice.update(
        id="in_9",
        customer="cus_1",
        attempt_count=2,
        amount_remaining=2000,
        currency="usd",
        next_payment_attempt=int(time.time()) + 86400,
    )
    payload = event("invoice.payment_failed", invoice, "evt_a")
    handler.handle(payload, sign(payload))

    dispute = stripe_fixture("dispute")
    dispute.update(id="dp_1", charge="ch_7", amount=2000, currency="usd", reason="fraudulent")
    payload = event("charge.dispute.created", dispute, "evt_b")
    result = handler.handle(payload, sign(payload))
    assert result.escalations and result.escalations[0]["reason"] == "dispute"
    assert handler.is_held("ch_7") and not handler.is_held("ch_8")

    sub = stripe_fixture("subscription")
    sub.update(id="sub_1", customer="cus_1", status="past_due", cancel_at_period_end=False)
    payload = event("customer.subscription.updated", sub, "evt_c")
    handler.handle(payload, sign(payload))

    charge = stripe_fixture("charge")
    charge.update(id="ch_2", customer="cus_1")
    charge["refunds"] = {"data": [{"id": "re_9", "amount": 700, "currency": "usd", "charge": "ch_2"}]}
    payload = event("charge.refunded", charge, "evt_d")
    handler.handle(payload, sign(payload))

    with db.read() as conn:
        dunning = conn.execute(select(st_dunning)).one()
        subs = conn.execute(select(st_subscription_updates)).one()
        moves = conn.execute(select(st_money_movements)).all()
    assert (dunning.invoice_id, dunning.attempt_count, dunning.amount_minor) == ("in_9", 2, 2000)
    assert subs.status == "past_due"
    assert [(m.id, m.customer_id) for m in moves] == [("re_9", "cus_1")]


def test_a_hold_stops_the_adapter_before_any_request(db: Database) -> None:
    handler = WebhookHandler(db, SECRET)
    dispute = {"id": "dp_2", "charge": "ch_held", "amount": 100, "currency": "usd", "reason": "general"}
    payload = event("charge.dispute.created", dispute, "evt_e")
    handler.handle(payload, sign(payload))
    # No server behind this client: a request would fail differently.
    processor = StripeProcessor(make_client("sk_test_x", api_base="http://127.0.0.1:9"), db=db)
    with pytest.raises(InvalidRequest, match="on hold"):
        processor.refund(ChargeId("ch_held"), Money(100, "usd"), reason=None, metadata={}, idempotency_key="k")
