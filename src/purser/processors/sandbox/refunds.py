"""Refunds and disputes on charges."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from purser.domain import ChargeStatus, Refund
from purser.domain.ids import ChargeId, CustomerId, RefundId
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox import queries
from purser.processors.sandbox.clock import to_db
from purser.processors.sandbox.events import emit, new_id
from purser.store import sandbox_tables as t


def refund(
    conn: Connection,
    charge_id: str,
    amount: Money,
    *,
    reason: str | None,
    metadata: dict[str, str],
    idempotency_key: str | None,
    now: datetime,
) -> Refund:
    """Refund `amount` of a charge: never more than remains, never a disputed or failed charge."""
    if not isinstance(amount, Money):
        raise InvalidRequest(f"amount must be Money, got {type(amount).__name__}", code="invalid_amount")
    queries.lock_owner(conn, t.charges, charge_id)  # customer first (queries.py: lock order)
    charge = queries.charge(conn, charge_id, lock=True)
    if amount.currency != charge.amount.currency:
        raise InvalidRequest(
            f"refund currency {amount.currency.upper()} differs from the charge's {charge.amount.currency.upper()}",
            code="currency_mismatch",
        )
    if amount.minor <= 0:
        raise InvalidRequest(f"refund amount must be positive, got {amount}", code="invalid_amount")
    if charge.status is not ChargeStatus.SUCCEEDED:
        raise InvalidRequest(f"charge {charge_id} did not succeed; nothing to refund", code="charge_failed")
    if charge.disputed:
        raise InvalidRequest(f"charge {charge_id} is disputed and cannot be refunded", code="charge_disputed")
    remaining = charge.refundable
    if amount > remaining:
        code = "charge_already_refunded" if remaining.is_zero else "amount_too_large"
        raise InvalidRequest(
            f"refund of {amount} exceeds what remains refundable on {charge_id} ({remaining})", code=code
        )
    refunded = (charge.amount_refunded or Money.zero(amount.currency)) + amount
    queries.set_values(conn, t.charges, charge_id, amount_refunded=refunded.minor)
    result = Refund(
        id=RefundId(new_id("re")),
        charge_id=ChargeId(charge_id),
        customer_id=CustomerId(charge.customer_id),
        amount=amount,
        created=now,
        reason=reason,
        metadata=dict(metadata),
    )
    insert_refund(conn, result, idempotency_key)
    after = replace(charge, amount_refunded=refunded)  # the row as the UPDATE above left it
    emit(conn, "refund.created", result, now, customer_id=charge.customer_id)
    emit(
        conn,
        "charge.refunded",
        after,
        now,
        customer_id=charge.customer_id,
        previous={"amount_refunded": (charge.amount_refunded or Money.zero(amount.currency)).minor},
    )
    return result


def insert_refund(conn: Connection, refund: Refund, idempotency_key: str | None) -> None:
    """Insert a refund row."""
    for key, value in refund.metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidRequest("refund metadata must map strings to strings", code="invalid_metadata")
    queries.insert_row(
        conn,
        t.refunds,
        {
            "id": refund.id,
            "charge_id": refund.charge_id,
            "customer_id": refund.customer_id,
            "amount": refund.amount.minor,
            "currency": refund.amount.currency,
            "reason": refund.reason,
            "metadata": dict(refund.metadata),
            "idempotency_key": idempotency_key,
            "created": to_db(refund.created),
        },
    )
