"""The conversation runtime's tables: conversations, messages, events, confirmations, usage.

Revision ID: 0003_agent
Revises: 0002_gateway
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_agent"
down_revision = "0002_gateway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the ag_ tables."""
    op.create_table(
        "ag_conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("handoff_reason", sa.String(64), nullable=True),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ag_conversations"),
    )
    op.create_index("ix_ag_conversations_customer", "ag_conversations", ["customer_id"])
    op.create_table(
        "ag_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ag_messages"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_ag_messages_conversation_seq"),
    )
    op.create_table(
        "ag_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ag_events"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_ag_events_conversation_seq"),
    )
    op.create_table(
        "ag_confirmations",
        sa.Column("action_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("decided_at", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("action_id", name="pk_ag_confirmations"),
    )
    op.create_index("ix_ag_confirmations_conversation", "ag_confirmations", ["conversation_id"])
    op.create_table(
        "ag_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.String(40), nullable=False),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ag_usage"),
    )
    op.create_index("ix_ag_usage_conversation", "ag_usage", ["conversation_id"])


def downgrade() -> None:
    """Drop the ag_ tables."""
    op.drop_index("ix_ag_usage_conversation", table_name="ag_usage")
    op.drop_table("ag_usage")
    op.drop_index("ix_ag_confirmations_conversation", table_name="ag_confirmations")
    op.drop_table("ag_confirmations")
    op.drop_table("ag_events")
    op.drop_table("ag_messages")
    op.drop_index("ix_ag_conversations_customer", table_name="ag_conversations")
    op.drop_table("ag_conversations")
