"""The sandbox's event stream (shaped like Stripe's webhook events) and its email outbox.

Every write appends one or more events: `{"id": "evt_...", "type": "charge.refunded",
"created": <clock>, "data": {"object": {...Stripe-shaped object...}, "previous_attributes": {...}}}`.
Objects carry amounts in minor units and times as Unix seconds, like Stripe's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from purser.domain import Charge, Customer, Dispute, Email, Invoice, Refund, Subscription
from purser.processors.sandbox.clock import to_db
from purser.store import sandbox_tables as t

__all__ = ["INSERT_EVENT", "collect", "emit", "event_row", "flush", "new_id", "obj", "record_email"]


def new_id(prefix: str) -> str:
    """A fresh random id with Stripe's prefix convention (`ch_`, `in_`, `re_`, `evt_`...): 24 hex digits."""
    # 96 random bits straight from the OS: a fifth of what building a UUID object costs.
    return f"{prefix}_{os.urandom(12).hex()}"


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def obj(entity: Any) -> dict[str, Any]:
    """A domain entity as the Stripe-shaped object an event carries."""
    if isinstance(entity, Charge):
        return {
            "id": entity.id,
            "object": "charge",
            "amount": entity.amount.minor,
            "currency": entity.amount.currency,
            "amount_refunded": entity.amount_refunded.minor if entity.amount_refunded else 0,
            "refunded": entity.refundable.is_zero and entity.status == "succeeded",
            "customer": entity.customer_id,
            "invoice": entity.invoice_id,
            "payment_method": entity.payment_method_id,
            "status": entity.status.value,
            "failure_code": entity.failure_code,
            "disputed": entity.disputed,
            "created": _ts(entity.created),
        }
    if isinstance(entity, Refund):
        return {
            "id": entity.id,
            "object": "refund",
            "amount": entity.amount.minor,
            "currency": entity.amount.currency,
            "charge": entity.charge_id,
            "customer": entity.customer_id,
            "reason": entity.reason,
            "metadata": dict(entity.metadata),
            "status": "succeeded",
            "created": _ts(entity.created),
        }
    if isinstance(entity, Invoice):
        return {
            "id": entity.id,
            "object": "invoice",
            "number": entity.number,
            "customer": entity.customer_id,
            "subscription": entity.subscription_id,
            "status": entity.status.value,
            "currency": entity.total.currency,
            "subtotal": entity.subtotal.minor,
            "tax": entity.tax.minor,
            "total": entity.total.minor,
            "amount_paid": entity.amount_paid.minor if entity.amount_paid else 0,
            "attempt_count": entity.attempts,
            "next_payment_attempt": _ts(entity.next_payment_attempt),
            "created": _ts(entity.created),
            "lines": [
                {
                    "description": line.description,
                    "amount": line.amount.minor,
                    "quantity": line.quantity,
                    "proration": line.proration,
                    "plan": line.plan_id,
                    "period": {"start": _ts(line.period_start), "end": _ts(line.period_end)},
                }
                for line in entity.lines
            ],
        }
    if isinstance(entity, Subscription):
        return {
            "id": entity.id,
            "object": "subscription",
            "customer": entity.customer_id,
            "plan": entity.plan_id,
            "quantity": entity.quantity,
            "status": entity.status.value,
            "current_period_start": _ts(entity.current_period_start),
            "current_period_end": _ts(entity.current_period_end),
            "cancel_at_period_end": entity.cancel_at_period_end,
            "canceled_at": _ts(entity.canceled_at),
            "ended_at": _ts(entity.ended_at),
            "trial_end": _ts(entity.trial_end),
            "pause_collection": (
                {"behavior": "void", "resumes_at": _ts(entity.resumes_at)} if entity.resumes_at else None
            ),
            "scheduled_plan": entity.scheduled_plan_id,
            "scheduled_quantity": entity.scheduled_quantity,
        }
    if isinstance(entity, Customer):
        return {
            "id": entity.id,
            "object": "customer",
            "name": entity.name,
            "email": entity.email,
            "address": {
                "line1": entity.address.line1,
                "city": entity.address.city,
                "postal_code": entity.address.postal_code,
                "country": entity.address.country,
            },
            "tax_ids": [entity.vat_id] if entity.vat_id else [],
            "balance": entity.balance.minor if entity.balance else 0,
            "created": _ts(entity.created),
        }
    if isinstance(entity, Dispute):
        return {
            "id": entity.id,
            "object": "dispute",
            "charge": entity.charge_id,
            "amount": entity.amount.minor,
            "currency": entity.amount.currency,
            "status": entity.status,
            "reason": entity.reason,
            "created": _ts(entity.created),
        }
    if isinstance(entity, Email):
        return {
            "id": entity.id,
            "object": "email",
            "customer": entity.customer_id,
            "to": entity.to,
            "kind": entity.kind,
            "subject": entity.subject,
            "invoice": entity.invoice_id,
            "attachment": entity.attachment_name,
            "created": _ts(entity.sent_at),
        }
    raise TypeError(f"no event shape for {type(entity).__name__}")


def event_row(
    type_: str,
    entity: Any,
    at: datetime,
    *,
    customer_id: str | None,
    previous: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `sbx_events` row of an event of `type_` carrying `entity` (for `emit` and bulk inserts)."""
    data: dict[str, Any] = {"object": obj(entity) if not isinstance(entity, dict) else entity}
    if previous:
        data["previous_attributes"] = previous
    if extra:
        data.update(extra)
    return {"id": new_id("evt"), "type": type_, "created": to_db(at), "customer_id": customer_id, "data": data}


def emit(
    conn: Connection,
    type_: str,
    entity: Any,
    at: datetime,
    *,
    customer_id: str | None,
    previous: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Append an event of `type_` carrying `entity`; returns its id (held back while `collect` runs)."""
    row = event_row(type_, entity, at, customer_id=customer_id, previous=previous, extra=extra)
    pending = _PENDING.get(id(conn))
    if pending is not None:
        pending.append(row)
    else:
        conn.execute(INSERT_EVENT, row)
    return str(row["id"])


_PENDING: dict[int, list[dict[str, Any]]] = {}
# Events held back per connection (a SQLAlchemy Connection serves one thread and one checkout).


@contextmanager
def collect(conn: Connection) -> Iterator[list[dict[str, Any]]]:
    """Hold back the events `emit`ted on `conn` in the block; the caller writes them with `flush`
    (one executemany, in order) when the block's work is to be committed."""
    pending: list[dict[str, Any]] = []
    _PENDING[id(conn)] = pending
    try:
        yield pending
    finally:
        _PENDING.pop(id(conn), None)


def flush(conn: Connection, pending: list[dict[str, Any]]) -> None:
    """Insert held-back events in the order they were emitted."""
    if pending:
        conn.execute(INSERT_EVENT, pending)


INSERT_EVENT = insert(t.events)
"""The event insert, built once (also used with a list of `event_row`s)."""


def record_email(
    conn: Connection,
    *,
    customer_id: str,
    to: str,
    kind: str,
    subject: str,
    body: str,
    at: datetime,
    invoice_id: str | None = None,
    attachment_name: str | None = None,
) -> Email:
    """Put an email in the outbox and emit `email.sent`."""
    email = Email(
        id=new_id("em"),
        customer_id=customer_id,  # type: ignore[arg-type]
        to=to,
        kind=kind,
        subject=subject,
        body=body,
        sent_at=at,
        invoice_id=invoice_id,  # type: ignore[arg-type]
        attachment_name=attachment_name,
    )
    conn.execute(
        insert(t.emails).values(
            id=email.id,
            customer_id=customer_id,
            to=to,
            kind=kind,
            subject=subject,
            body=body,
            sent_at=to_db(at),
            invoice_id=invoice_id,
            attachment_name=attachment_name,
        )
    )
    emit(conn, "email.sent", email, at, customer_id=customer_id)
    return email
