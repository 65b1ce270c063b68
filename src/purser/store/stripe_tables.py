"""The Stripe adapter's tables (prefix `st_`): webhook events seen, refund holds, dunning state,
and the processor-side money movements that reconciliation compares with the audit log.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from purser.store.db import metadata

st_webhook_events = Table(
    "st_webhook_events",
    metadata,
    Column("id", String(100), primary_key=True),  # evt_...: a repeated delivery is ignored
    Column("type", String(100), nullable=False),
    Column("created", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("outcome", Text, nullable=False, default=""),
)

st_refund_holds = Table(
    "st_refund_holds",
    metadata,
    Column("charge_id", String(100), primary_key=True),
    Column("reason", String(100), nullable=False),
    Column("dispute_id", String(100), nullable=True),
    Column("created_at", String(40), nullable=False),
)

st_dunning = Table(
    "st_dunning",
    metadata,
    Column("invoice_id", String(100), primary_key=True),
    Column("customer_id", String(100), nullable=False),
    Column("attempt_count", Integer, nullable=False),
    Column("next_payment_attempt", String(40), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

st_money_movements = Table(
    "st_money_movements",
    metadata,
    Column("id", String(100), primary_key=True),  # re_... or ch_...
    Column("kind", String(20), nullable=False),  # refund | charge
    Column("charge_id", String(100), nullable=True),
    Column("customer_id", String(100), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created", String(40), nullable=False),
    Column("metadata", Text, nullable=False, default="{}"),
)

st_subscription_updates = Table(
    "st_subscription_updates",
    metadata,
    Column("subscription_id", String(100), primary_key=True),
    Column("customer_id", String(100), nullable=True),
    Column("status", String(30), nullable=False),
    Column("cancel_at_period_end", String(5), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
