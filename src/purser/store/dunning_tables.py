"""The dunning tables (prefix `dn_`, DESIGN §10): cases, the actions they ran, the payment link of
each outreach and event-reader cursors. Times are ISO-8601 UTC strings (`2026-12-01T09:00:00+00:00`), which sort
as text on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, String, Table

from purser.store.db import metadata

dn_cases = Table(
    "dn_cases",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("invoice_id", String(64), nullable=False, unique=True),
    Column("customer_id", String(200), nullable=False),
    Column("subscription_id", String(64), nullable=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("decline_reason", String(64), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("closed_at", String(40), nullable=True),
    Column("recovered_by", String(16), nullable=True),
    Column("close_reason", String(64), nullable=True),
)
Index("ix_dn_cases_status", dn_cases.c.status, dn_cases.c.id)
Index("ix_dn_cases_customer", dn_cases.c.customer_id)

dn_steps = Table(
    "dn_steps",
    metadata,
    Column("case_id", String(80), nullable=False),
    Column("step", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("done_at", String(40), nullable=False),
    Column("outcome", String(120), nullable=False),
    PrimaryKeyConstraint("case_id", "step", "action"),
)

dn_links = Table(
    "dn_links",
    metadata,
    Column("case_id", String(80), nullable=False),
    Column("step", Integer, nullable=False),
    Column("url", String(500), nullable=False),
    PrimaryKeyConstraint("case_id", "step"),
)

dn_cursors = Table(
    "dn_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

__all__ = ["dn_cases", "dn_cursors", "dn_links", "dn_steps"]
