"""The sandbox billing engine's tables (prefix `sbx_`).

Amounts are BigInteger minor units next to a `currency` column; timestamps are
timezone-aware UTC (`DateTime(timezone=True)`; SQLite stores them naive and the
engine re-attaches UTC on read). Migration: `migrations/versions/0001_sandbox.py`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from purser.store.db import metadata

_ID = 64

clock = Table(
    "sbx_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("now", DateTime(timezone=True), nullable=False),
)
"""One row (id 1): the sandbox's clock, like a Stripe test clock."""

plans = Table(
    "sbx_plans",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("per_seat", Boolean, nullable=False, default=False),
)

customers = Table(
    "sbx_customers",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("line1", String(200)),
    Column("city", String(100)),
    Column("postal_code", String(32)),
    Column("country", String(2)),
    Column("vat_id", String(32)),
    Column("balance", BigInteger, nullable=False, default=0),
    Column("currency", String(3)),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("invoice_prefix", String(32), nullable=False),
    Column("next_invoice_number", Integer, nullable=False, default=1),
)

payment_methods = Table(
    "sbx_payment_methods",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("customer_id", String(_ID), ForeignKey("sbx_customers.id"), nullable=False, index=True),
    Column("brand", String(32), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("behavior", String(32), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
)

subscriptions = Table(
    "sbx_subscriptions",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("customer_id", String(_ID), ForeignKey("sbx_customers.id"), nullable=False, index=True),
    Column("plan_id", String(_ID), ForeignKey("sbx_plans.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("billing_cycle_anchor", DateTime(timezone=True), nullable=False),
    Column("current_period_start", DateTime(timezone=True), nullable=False),
    Column("current_period_end", DateTime(timezone=True), nullable=False, index=True),
    Column("cancel_at_period_end", Boolean, nullable=False, default=False),
    Column("canceled_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("trial_end", DateTime(timezone=True)),
    Column("pause_starts_at", DateTime(timezone=True)),
    Column("resumes_at", DateTime(timezone=True), index=True),
    Column("scheduled_plan_id", String(_ID), ForeignKey("sbx_plans.id")),
    Column("scheduled_quantity", Integer),
)

invoices = Table(
    "sbx_invoices",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("customer_id", String(_ID), ForeignKey("sbx_customers.id"), nullable=False, index=True),
    Column("subscription_id", String(_ID), ForeignKey("sbx_subscriptions.id"), index=True),
    Column("number", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("billing_reason", String(32), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("tax", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("credit_applied", BigInteger, nullable=False, default=0),
    Column("amount_paid", BigInteger, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_payment_attempt", DateTime(timezone=True), index=True),
    Column("tax_note", Text),
)

invoice_lines = Table(
    "sbx_invoice_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(_ID), ForeignKey("sbx_invoices.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("description", String(300), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity", Integer, nullable=False, default=1),
    Column("period_start", DateTime(timezone=True)),
    Column("period_end", DateTime(timezone=True)),
    Column("proration", Boolean, nullable=False, default=False),
    Column("plan_id", String(_ID), ForeignKey("sbx_plans.id")),
)

charges = Table(
    "sbx_charges",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("customer_id", String(_ID), ForeignKey("sbx_customers.id"), nullable=False, index=True),
    Column("invoice_id", String(_ID), ForeignKey("sbx_invoices.id"), index=True),
    Column("payment_method_id", String(_ID), ForeignKey("sbx_payment_methods.id")),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_refunded", BigInteger, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("failure_code", String(32)),
    Column("disputed", Boolean, nullable=False, default=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

refunds = Table(
    "sbx_refunds",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("charge_id", String(_ID), ForeignKey("sbx_charges.id"), nullable=False, index=True),
    Column("customer_id", String(_ID), ForeignKey("sbx_customers.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(64)),
    Column("metadata", JSON, nullable=False),
    Column("idempotency_key", String(255), unique=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

disputes = Table(
    "sbx_disputes",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("charge_id", String(_ID), ForeignKey("sbx_charges.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

events = Table(
    "sbx_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(_ID), nullable=False, unique=True),
    Column("type", String(64), nullable=False, index=True),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    Column("customer_id", String(_ID), index=True),
    Column("data", JSON, nullable=False),
)

emails = Table(
    "sbx_emails",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("customer_id", String(_ID), ForeignKey("sbx_customers.id"), nullable=False, index=True),
    Column("to", String(320), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("invoice_id", String(_ID), ForeignKey("sbx_invoices.id")),
    Column("attachment_name", String(200)),
)

idempotency = Table(
    "sbx_idempotency",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("operation", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

Index("ix_sbx_subscriptions_status_period_end", subscriptions.c.status, subscriptions.c.current_period_end)

__all__ = [
    "charges",
    "clock",
    "customers",
    "disputes",
    "emails",
    "events",
    "idempotency",
    "invoice_lines",
    "invoices",
    "payment_methods",
    "plans",
    "refunds",
    "subscriptions",
]
