"""The web layer's tables: delivered event batches (live stream) and answered turns (latency).

Revision ID: 0004_web
Revises: 0003_agent
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_web"
down_revision = "0003_agent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the web_ tables."""
    op.create_table(
        "web_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_deliveries"),
    )
    op.create_index("ix_web_deliveries_conversation", "web_deliveries", ["conversation_id", "id"])
    op.create_table(
        "web_turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_turns"),
    )
    op.create_index("ix_web_turns_created", "web_turns", ["created_at"])


def downgrade() -> None:
    """Drop the web_ tables."""
    op.drop_index("ix_web_turns_created", table_name="web_turns")
    op.drop_table("web_turns")
    op.drop_index("ix_web_deliveries_conversation", table_name="web_deliveries")
    op.drop_table("web_deliveries")
