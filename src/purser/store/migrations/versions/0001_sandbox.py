"""The sandbox billing engine's tables (sbx_*), generated from `purser.store.sandbox_tables`.

Revision ID: 0001_sandbox
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_sandbox"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the sbx_ tables."""
    op.create_table(
        "sbx_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("now", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_clock")),
    )
    op.create_table(
        "sbx_customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("vat_id", sa.String(length=32), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_prefix", sa.String(length=32), nullable=False),
        sa.Column("next_invoice_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_customers")),
    )
    op.create_table(
        "sbx_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sbx_events")),
        sa.UniqueConstraint("id", name=op.f("uq_sbx_events_id")),
    )
    op.create_index(op.f("ix_sbx_events_created"), "sbx_events", ["created"], unique=False)
    op.create_index(op.f("ix_sbx_events_customer_id"), "sbx_events", ["customer_id"], unique=False)
    op.create_index(op.f("ix_sbx_events_type"), "sbx_events", ["type"], unique=False)
    op.create_table(
        "sbx_idempotency",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sbx_idempotency")),
    )
    op.create_table(
        "sbx_plans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("per_seat", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_plans")),
    )
    op.create_table(
        "sbx_payment_methods",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("brand", sa.String(length=32), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("behavior", sa.String(length=32), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["sbx_customers.id"], name=op.f("fk_sbx_payment_methods_customer_id_sbx_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_payment_methods")),
    )
    op.create_index(op.f("ix_sbx_payment_methods_customer_id"), "sbx_payment_methods", ["customer_id"], unique=False)
    op.create_table(
        "sbx_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("billing_cycle_anchor", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pause_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_plan_id", sa.String(length=64), nullable=True),
        sa.Column("scheduled_quantity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["sbx_customers.id"], name=op.f("fk_sbx_subscriptions_customer_id_sbx_customers")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["sbx_plans.id"], name=op.f("fk_sbx_subscriptions_plan_id_sbx_plans")),
        sa.ForeignKeyConstraint(
            ["scheduled_plan_id"], ["sbx_plans.id"], name=op.f("fk_sbx_subscriptions_scheduled_plan_id_sbx_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_subscriptions")),
    )
    op.create_index(
        op.f("ix_sbx_subscriptions_current_period_end"), "sbx_subscriptions", ["current_period_end"], unique=False
    )
    op.create_index(op.f("ix_sbx_subscriptions_customer_id"), "sbx_subscriptions", ["customer_id"], unique=False)
    op.create_index(op.f("ix_sbx_subscriptions_resumes_at"), "sbx_subscriptions", ["resumes_at"], unique=False)
    op.create_index(
        "ix_sbx_subscriptions_status_period_end", "sbx_subscriptions", ["status", "current_period_end"], unique=False
    )
    op.create_table(
        "sbx_invoices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("billing_reason", sa.String(length=32), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("credit_applied", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_payment_attempt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tax_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["sbx_customers.id"], name=op.f("fk_sbx_invoices_customer_id_sbx_customers")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["sbx_subscriptions.id"],
            name=op.f("fk_sbx_invoices_subscription_id_sbx_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_invoices")),
    )
    op.create_index(op.f("ix_sbx_invoices_customer_id"), "sbx_invoices", ["customer_id"], unique=False)
    op.create_index(
        op.f("ix_sbx_invoices_next_payment_attempt"), "sbx_invoices", ["next_payment_attempt"], unique=False
    )
    op.create_index(op.f("ix_sbx_invoices_subscription_id"), "sbx_invoices", ["subscription_id"], unique=False)
    op.create_table(
        "sbx_charges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.Column("payment_method_id", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_code", sa.String(length=32), nullable=True),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["sbx_customers.id"], name=op.f("fk_sbx_charges_customer_id_sbx_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["sbx_invoices.id"], name=op.f("fk_sbx_charges_invoice_id_sbx_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["sbx_payment_methods.id"],
            name=op.f("fk_sbx_charges_payment_method_id_sbx_payment_methods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_charges")),
    )
    op.create_index(op.f("ix_sbx_charges_customer_id"), "sbx_charges", ["customer_id"], unique=False)
    op.create_index(op.f("ix_sbx_charges_invoice_id"), "sbx_charges", ["invoice_id"], unique=False)
    op.create_table(
        "sbx_emails",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.Column("attachment_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["sbx_customers.id"], name=op.f("fk_sbx_emails_customer_id_sbx_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["sbx_invoices.id"], name=op.f("fk_sbx_emails_invoice_id_sbx_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_emails")),
    )
    op.create_index(op.f("ix_sbx_emails_customer_id"), "sbx_emails", ["customer_id"], unique=False)
    op.create_table(
        "sbx_invoice_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proration", sa.Boolean(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["sbx_invoices.id"], name=op.f("fk_sbx_invoice_lines_invoice_id_sbx_invoices")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["sbx_plans.id"], name=op.f("fk_sbx_invoice_lines_plan_id_sbx_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_invoice_lines")),
    )
    op.create_index(op.f("ix_sbx_invoice_lines_invoice_id"), "sbx_invoice_lines", ["invoice_id"], unique=False)
    op.create_table(
        "sbx_disputes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("charge_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["charge_id"], ["sbx_charges.id"], name=op.f("fk_sbx_disputes_charge_id_sbx_charges")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_disputes")),
    )
    op.create_index(op.f("ix_sbx_disputes_charge_id"), "sbx_disputes", ["charge_id"], unique=False)
    op.create_table(
        "sbx_refunds",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("charge_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["charge_id"], ["sbx_charges.id"], name=op.f("fk_sbx_refunds_charge_id_sbx_charges")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["sbx_customers.id"], name=op.f("fk_sbx_refunds_customer_id_sbx_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbx_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sbx_refunds_idempotency_key")),
    )
    op.create_index(op.f("ix_sbx_refunds_charge_id"), "sbx_refunds", ["charge_id"], unique=False)
    op.create_index(op.f("ix_sbx_refunds_customer_id"), "sbx_refunds", ["customer_id"], unique=False)


def downgrade() -> None:
    """Drop the sbx_ tables."""
    op.drop_index(op.f("ix_sbx_refunds_customer_id"), table_name="sbx_refunds")
    op.drop_index(op.f("ix_sbx_refunds_charge_id"), table_name="sbx_refunds")
    op.drop_table("sbx_refunds")
    op.drop_index(op.f("ix_sbx_disputes_charge_id"), table_name="sbx_disputes")
    op.drop_table("sbx_disputes")
    op.drop_index(op.f("ix_sbx_invoice_lines_invoice_id"), table_name="sbx_invoice_lines")
    op.drop_table("sbx_invoice_lines")
    op.drop_index(op.f("ix_sbx_emails_customer_id"), table_name="sbx_emails")
    op.drop_table("sbx_emails")
    op.drop_index(op.f("ix_sbx_charges_invoice_id"), table_name="sbx_charges")
    op.drop_index(op.f("ix_sbx_charges_customer_id"), table_name="sbx_charges")
    op.drop_table("sbx_charges")
    op.drop_index(op.f("ix_sbx_invoices_subscription_id"), table_name="sbx_invoices")
    op.drop_index(op.f("ix_sbx_invoices_next_payment_attempt"), table_name="sbx_invoices")
    op.drop_index(op.f("ix_sbx_invoices_customer_id"), table_name="sbx_invoices")
    op.drop_table("sbx_invoices")
    op.drop_index("ix_sbx_subscriptions_status_period_end", table_name="sbx_subscriptions")
    op.drop_index(op.f("ix_sbx_subscriptions_resumes_at"), table_name="sbx_subscriptions")
    op.drop_index(op.f("ix_sbx_subscriptions_customer_id"), table_name="sbx_subscriptions")
    op.drop_index(op.f("ix_sbx_subscriptions_current_period_end"), table_name="sbx_subscriptions")
    op.drop_table("sbx_subscriptions")
    op.drop_index(op.f("ix_sbx_payment_methods_customer_id"), table_name="sbx_payment_methods")
    op.drop_table("sbx_payment_methods")
    op.drop_table("sbx_plans")
    op.drop_table("sbx_idempotency")
    op.drop_index(op.f("ix_sbx_events_type"), table_name="sbx_events")
    op.drop_index(op.f("ix_sbx_events_customer_id"), table_name="sbx_events")
    op.drop_index(op.f("ix_sbx_events_created"), table_name="sbx_events")
    op.drop_table("sbx_events")
    op.drop_table("sbx_customers")
    op.drop_table("sbx_clock")
