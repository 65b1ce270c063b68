"""The team inbox: assignments (who works a conversation, when it was resolved), private notes and
each person's read marks.

Revision ID: 0012_inbox
Revises: 0011_audit_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_inbox"
down_revision = "0011_audit_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ib_assignments, ib_notes and ib_reads."""
    op.create_table(
        "ib_assignments",
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("assigned_by", sa.String(64), nullable=True),
        sa.Column("assigned_at", sa.String(40), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_ib_assignments"),
    )
    op.create_table(
        "ib_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ib_notes"),
    )
    op.create_index("ix_ib_notes_conversation", "ib_notes", ["conversation_id"])
    op.create_table(
        "ib_reads",
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("person", "conversation_id", name="pk_ib_reads"),
    )


def downgrade() -> None:
    """Drop the inbox tables (assignments, notes and read marks are lost)."""
    op.drop_table("ib_reads")
    op.drop_index("ix_ib_notes_conversation", table_name="ib_notes")
    op.drop_table("ib_notes")
    op.drop_table("ib_assignments")
