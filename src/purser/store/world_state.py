"""The sandbox world's state read straight from its tables, for the gym's judge and violation check.

Read directly (not through the gateway or the processor's API) so that the judge sees what the
billing engine holds, whatever the layers above it believe. `purser.gym.state` re-exports these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from purser.money import Money
from purser.store import sandbox_tables as t
from purser.store.db import Database


def utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RefundRow:
    """A refund as stored."""

    id: str
    charge: str
    customer: str
    amount: Money
    created: datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class ChargeRow:
    """A charge as stored."""

    id: str
    customer: str
    invoice: str | None
    amount: Money
    status: str
    disputed: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class EmailRow:
    """An email in the sandbox outbox."""

    id: str
    customer: str
    kind: str
    invoice: str | None


@dataclass(frozen=True, slots=True)
class EventRow:
    """A webhook-shaped event."""

    seq: int
    type: str
    created: datetime
    customer: str | None
    data: dict[str, Any]


@dataclass
class WorldState:
    """Everything the judge compares, keyed by id."""

    refunds: dict[str, RefundRow] = field(default_factory=dict)
    charges: dict[str, ChargeRow] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    billing: dict[str, dict[str, Any]] = field(default_factory=dict)
    emails: dict[str, EmailRow] = field(default_factory=dict)
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_event_seq: int = 0


_PLANS = select(t.plans)
_REFUNDS = select(t.refunds)
_CHARGES = select(t.charges)
_INVOICES = select(t.invoices)
_SUBSCRIPTIONS = select(t.subscriptions)
_CUSTOMERS = select(t.customers)
_EMAILS = select(t.emails)
_LAST_EVENT = select(func.coalesce(func.max(t.events.c.seq), 0))
_EVENTS_AFTER = select(t.events).where(t.events.c.seq > bindparam("after")).order_by(t.events.c.seq)


def read_state(db: Database) -> WorldState:
    """Read the sandbox's tables into a `WorldState`."""
    state = WorldState()
    with db.read() as conn:
        for r in conn.execute(_PLANS).mappings():
            state.plans[r["id"]] = {
                "amount": Money(int(r["amount"]), r["currency"]),
                "per_seat": bool(r["per_seat"]),
                "interval": r["interval"],
            }
        for r in conn.execute(_REFUNDS).mappings():
            created = utc(r["created"])
            assert created is not None
            state.refunds[r["id"]] = RefundRow(
                r["id"], r["charge_id"], r["customer_id"], Money(int(r["amount"]), r["currency"]), created, r["reason"]
            )
        for r in conn.execute(_CHARGES).mappings():
            created = utc(r["created"])
            assert created is not None
            state.charges[r["id"]] = ChargeRow(
                r["id"],
                r["customer_id"],
                r["invoice_id"],
                Money(int(r["amount"]), r["currency"]),
                r["status"],
                bool(r["disputed"]),
                created,
            )
        for r in conn.execute(_INVOICES).mappings():
            state.invoices[r["id"]] = {
                "customer": r["customer_id"],
                "number": r["number"],
                "status": r["status"],
                "total": Money(int(r["total"]), r["currency"]),
            }
        for r in conn.execute(_SUBSCRIPTIONS).mappings():
            resumes = utc(r["resumes_at"])
            # A schedule that repeats the current plan or quantity is no change (FORMAT: null for none).
            scheduled_plan = r["scheduled_plan_id"] if r["scheduled_plan_id"] != r["plan_id"] else None
            scheduled_qty = r["scheduled_quantity"] if r["scheduled_quantity"] != r["quantity"] else None
            state.subscriptions[r["id"]] = {
                "customer": r["customer_id"],
                "plan": r["plan_id"],
                "quantity": int(r["quantity"]),
                "status": r["status"],
                "cancel_at_period_end": bool(r["cancel_at_period_end"]),
                "resumes_at": resumes.date() if resumes else None,
                "scheduled_plan": scheduled_plan,
                "scheduled_quantity": scheduled_qty,
            }
        for r in conn.execute(_CUSTOMERS).mappings():
            state.billing[r["id"]] = {
                "name": r["name"],
                "email": r["email"],
                "vat_id": r["vat_id"],
                "address.line1": r["line1"],
                "address.city": r["city"],
                "address.postal_code": r["postal_code"],
                "address.country": r["country"],
            }
        for r in conn.execute(_EMAILS).mappings():
            state.emails[r["id"]] = EmailRow(r["id"], r["customer_id"], r["kind"], r["invoice_id"])
        state.last_event_seq = int(conn.execute(_LAST_EVENT).scalar_one())
    return state


def read_events(db: Database, after_seq: int) -> list[EventRow]:
    """Events appended after `after_seq`, oldest first."""
    with db.read() as conn:
        rows = conn.execute(_EVENTS_AFTER, {"after": after_seq}).mappings()
        out = []
        for r in rows:
            created = utc(r["created"])
            assert created is not None
            out.append(EventRow(int(r["seq"]), r["type"], created, r["customer_id"], dict(r["data"] or {})))
        return out


__all__ = ["ChargeRow", "EmailRow", "EventRow", "RefundRow", "WorldState", "read_events", "read_state", "utc"]
