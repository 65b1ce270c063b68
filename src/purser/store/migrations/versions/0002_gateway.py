"""The gateway's tables: actions, confirmations, approvals, ledger, locks, audit log.

Revision ID: 0002_gateway
Revises: 0001_sandbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_gateway"
down_revision = "0001_sandbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the gw_ tables."""
    op.create_table(
        "gw_actions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("quote_hash", sa.String(64), nullable=True),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gw_actions"),
        sa.UniqueConstraint("idempotency_key", name="uq_gw_actions_idempotency_key"),
    )
    op.create_index("ix_gw_actions_conversation", "gw_actions", ["conversation_id"])
    op.create_index("ix_gw_actions_status", "gw_actions", ["status"])
    op.create_table(
        "gw_confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("quote_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gw_confirmations"),
        sa.UniqueConstraint("action_id", name="uq_gw_confirmations_action_id"),
    )
    op.create_table(
        "gw_approvals",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("action_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("amount", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gw_approvals"),
        sa.UniqueConstraint("action_id", name="uq_gw_approvals_action_id"),
    )
    op.create_index("ix_gw_approvals_status", "gw_approvals", ["status"])
    op.create_table(
        "gw_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("charge_id", sa.String(200), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("counts", sa.Boolean(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("refund_id", sa.String(200), nullable=True),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gw_ledger"),
        sa.UniqueConstraint("action_id", name="uq_gw_ledger_action_id"),
    )
    op.create_index("ix_gw_ledger_customer", "gw_ledger", ["customer_id"])
    op.create_index("ix_gw_ledger_day", "gw_ledger", ["day"])
    op.create_table(
        "gw_locks",
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_gw_locks"),
    )
    op.create_table(
        "gw_audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(250), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=True),
        sa.Column("action_id", sa.String(64), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_gw_audit_log"),
        sa.UniqueConstraint("hash", name="uq_gw_audit_log_hash"),
    )
    op.create_index("ix_gw_audit_log_at", "gw_audit_log", ["at"])


def downgrade() -> None:
    """Drop the gw_ tables."""
    for index, table in (
        ("ix_gw_audit_log_at", "gw_audit_log"),
        ("ix_gw_ledger_day", "gw_ledger"),
        ("ix_gw_ledger_customer", "gw_ledger"),
        ("ix_gw_approvals_status", "gw_approvals"),
        ("ix_gw_actions_status", "gw_actions"),
        ("ix_gw_actions_conversation", "gw_actions"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("gw_audit_log", "gw_locks", "gw_ledger", "gw_approvals", "gw_confirmations", "gw_actions"):
        op.drop_table(table)
