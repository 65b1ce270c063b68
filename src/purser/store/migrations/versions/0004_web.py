"""The web layer's table: answered turns (reply latency for the dashboard).

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
    """Create web_turns."""
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
    """Drop web_turns."""
    op.drop_index("ix_web_turns_created", table_name="web_turns")
    op.drop_table("web_turns")
