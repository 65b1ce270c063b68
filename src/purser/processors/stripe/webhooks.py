"""Stripe webhooks: signature verification, at-most-once handling per event id, and the actions.

- `invoice.payment_failed` → dunning state (attempts, next retry) for the agent's lookups;
- `charge.refunded`, `refund.created|updated` → money movements that reconciliation matches;
- `charge.dispute.created` → a hold on refunds of that charge and an escalation for a human;
- `customer.subscription.updated` → the latest status, for the dashboard.
Other event types are recorded and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy import Connection, insert, select, update

from purser.domain.dates import iso_utc
from purser.processors.errors import InvalidRequest
from purser.processors.stripe.mapping import ref_id, ts
from purser.store.db import Database
from purser.store.stripe_tables import (
    st_dunning,
    st_money_movements,
    st_refund_holds,
    st_subscription_updates,
    st_webhook_events,
)

TOLERANCE_SECONDS = 300
"""How old a signed payload may be (Stripe's default)."""


class WebhookSignatureError(InvalidRequest):
    """The payload is not signed with the configured secret (or is too old)."""

    code = "bad_signature"
    status = 400


@dataclass(frozen=True)
class WebhookResult:
    """What handling one delivery did."""

    event_id: str
    """evt_..."""
    type: str
    """Event type."""
    duplicate: bool
    """True when this event id had been handled already (nothing was done)."""
    actions: list[str] = field(default_factory=list)
    """Human-readable effects ("hold refunds on ch_1", ...)."""
    escalations: list[dict[str, str]] = field(default_factory=list)
    """Handoffs for humans (dispute on a charge)."""


def _now() -> str:
    return iso_utc(datetime.now(UTC))


def _iso(value: Any) -> str | None:
    moment = ts(value)
    return iso_utc(moment)


def verify(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event of a signed payload, or `WebhookSignatureError` naming what is wrong."""
    if not signature:
        raise WebhookSignatureError("missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureError(f"invalid Stripe-Signature: {exc.user_message or exc}") from None
    except ValueError as exc:
        raise InvalidRequest(f"webhook payload is not valid JSON: {exc}", code="invalid_payload") from None
    data: dict[str, Any] = event.to_dict()
    if not data.get("id") or not data.get("type"):
        raise InvalidRequest("webhook event without id or type", code="invalid_payload")
    return data


class WebhookHandler:
    """Handles verified Stripe events against the store, once per event id."""

    def __init__(self, db: Database, secret: str) -> None:
        self.db = db
        self.secret = secret

    def handle(self, payload: bytes, signature: str | None) -> WebhookResult:
        """Verify, de-duplicate and act on one delivery."""
        return self.process(verify(payload, signature, self.secret))

    def process(self, event: dict[str, Any], *, within: Callable[[Connection], None] | None = None) -> WebhookResult:
        """Act on a verified event once per event id; `within(conn)` runs in the same transaction (the
        `stripe.event` job marks itself done there, so the effect and the job commit together)."""
        if not event.get("id") or not event.get("type"):
            raise InvalidRequest("webhook event without id or type", code="invalid_payload")
        obj: dict[str, Any] = dict((event.get("data") or {}).get("object") or {})
        with self.db.begin() as conn:
            if within is not None:
                within(conn)
            seen = conn.execute(select(st_webhook_events.c.id).where(st_webhook_events.c.id == event["id"])).first()
            if seen is not None:
                return WebhookResult(event_id=event["id"], type=event["type"], duplicate=True)
            result = self._act(conn, event["id"], str(event["type"]), obj)
            conn.execute(
                insert(st_webhook_events).values(
                    id=event["id"],
                    type=event["type"],
                    created=_iso(event.get("created")) or _now(),
                    received_at=_now(),
                    outcome=json.dumps({"actions": result.actions, "escalations": result.escalations}),
                )
            )
        return result

    def outcome(self, event_id: str) -> dict[str, Any] | None:
        """What handling `event_id` did (`actions`, `escalations`), or None while it is not handled yet."""
        with self.db.read() as conn:
            row = conn.execute(select(st_webhook_events.c.outcome).where(st_webhook_events.c.id == event_id)).first()
        return dict(json.loads(row.outcome)) if row is not None else None

    def is_held(self, charge_id: str) -> bool:
        """True when refunds of `charge_id` are on hold (a dispute arrived)."""
        with self.db.read() as conn:
            return (
                conn.execute(select(st_refund_holds).where(st_refund_holds.c.charge_id == charge_id)).first()
                is not None
            )

    # -- per type ---------------------------------------------------------------------------
    def _act(self, conn: Connection, event_id: str, kind: str, obj: dict[str, Any]) -> WebhookResult:
        actions: list[str] = []
        escalations: list[dict[str, str]] = []
        if kind == "invoice.payment_failed":
            self._dunning(conn, obj)
            actions.append(f"dunning: {obj.get('id')} attempt {obj.get('attempt_count')}")
        elif kind == "charge.refunded":
            for refund in (obj.get("refunds") or {}).get("data") or []:
                self._movement(conn, refund, "refund", ref_id(obj.get("customer")))
                actions.append(f"recorded refund {refund.get('id')}")
        elif kind.startswith("refund."):
            self._movement(conn, obj, "refund", ref_id(obj.get("customer")))
            actions.append(f"recorded refund {obj.get('id')}")
        elif kind == "charge.dispute.created":
            charge_id = ref_id(obj.get("charge")) or ""
            self._hold(conn, charge_id, obj)
            actions.append(f"hold refunds on {charge_id}")
            escalations.append(
                {
                    "reason": "dispute",
                    "charge_id": charge_id,
                    "summary": f"Dispute {obj.get('id')} opened on charge {charge_id} "
                    f"({obj.get('amount')} {str(obj.get('currency', '')).upper()} minor units, "
                    f"reason {obj.get('reason')}). Refunds of this charge are on hold; respond in Stripe.",
                }
            )
        elif kind == "customer.subscription.updated":
            self._subscription(conn, obj)
            actions.append(f"subscription {obj.get('id')} is {obj.get('status')}")
        return WebhookResult(event_id=event_id, type=kind, duplicate=False, actions=actions, escalations=escalations)

    def _dunning(self, conn: Connection, inv: dict[str, Any]) -> None:
        values = {
            "customer_id": ref_id(inv.get("customer")) or "",
            "attempt_count": int(inv.get("attempt_count") or 0),
            "next_payment_attempt": _iso(inv.get("next_payment_attempt")),
            "amount_minor": int(inv.get("amount_remaining") or inv.get("amount_due") or 0),
            "currency": str(inv.get("currency") or "usd"),
            "updated_at": _now(),
        }
        key = str(inv.get("id"))
        done = conn.execute(update(st_dunning).where(st_dunning.c.invoice_id == key).values(**values)).rowcount
        if not done:
            conn.execute(insert(st_dunning).values(invoice_id=key, **values))

    def _movement(self, conn: Connection, obj: dict[str, Any], kind: str, customer: str | None) -> None:
        key = str(obj.get("id"))
        if conn.execute(select(st_money_movements.c.id).where(st_money_movements.c.id == key)).first():
            return
        conn.execute(
            insert(st_money_movements).values(
                id=key,
                kind=kind,
                charge_id=ref_id(obj.get("charge")),
                customer_id=customer,
                amount_minor=int(obj.get("amount") or 0),
                currency=str(obj.get("currency") or "usd"),
                created=_iso(obj.get("created")) or _now(),
                metadata=json.dumps(obj.get("metadata") or {}, sort_keys=True),
            )
        )

    def _hold(self, conn: Connection, charge_id: str, dispute: dict[str, Any]) -> None:
        if conn.execute(select(st_refund_holds).where(st_refund_holds.c.charge_id == charge_id)).first():
            return
        conn.execute(
            insert(st_refund_holds).values(
                charge_id=charge_id, reason="dispute", dispute_id=dispute.get("id"), created_at=_now()
            )
        )

    def _subscription(self, conn: Connection, sub: dict[str, Any]) -> None:
        key = str(sub.get("id"))
        values = {
            "customer_id": ref_id(sub.get("customer")),
            "status": str(sub.get("status") or ""),
            "cancel_at_period_end": "true" if sub.get("cancel_at_period_end") else "false",
            "updated_at": _now(),
        }
        table = st_subscription_updates
        done = conn.execute(update(table).where(table.c.subscription_id == key).values(**values)).rowcount
        if not done:
            conn.execute(insert(table).values(subscription_id=key, **values))


__all__ = [
    "TOLERANCE_SECONDS",
    "WebhookHandler",
    "WebhookResult",
    "WebhookSignatureError",
    "verify",
]
