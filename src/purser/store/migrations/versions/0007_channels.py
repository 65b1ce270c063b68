"""The channels' tables: platform identities, threads, seen events, codes, link tokens, secrets.

Revision ID: 0007_channels
Revises: 0006_agent_counters
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_channels"
down_revision = "0006_agent_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ch_links, ch_threads, ch_seen, ch_codes, ch_tokens and ch_secrets."""
    op.create_table(
        "ch_links",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("linked_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_ch_links"),
    )
    op.create_index("ix_ch_links_customer", "ch_links", ["customer_id"])
    op.create_table(
        "ch_threads",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("thread_key", sa.String(300), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("last_inbound_at", sa.String(40), nullable=True),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("channel", "thread_key", name="pk_ch_threads"),
        sa.UniqueConstraint("conversation_id", name="uq_ch_threads_conversation_id"),
    )
    op.create_index("ix_ch_threads_customer", "ch_threads", ["customer_id", "updated_at"])
    op.create_table(
        "ch_seen",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("seen_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("channel", "event_id", name="pk_ch_seen"),
    )
    op.create_table(
        "ch_codes",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_ch_codes"),
    )
    op.create_table(
        "ch_tokens",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("used_at", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ch_tokens"),
    )
    op.create_table(
        "ch_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_ch_secrets"),
    )


def downgrade() -> None:
    """Drop the channels' tables."""
    for table in ("ch_secrets", "ch_tokens", "ch_codes", "ch_seen"):
        op.drop_table(table)
    op.drop_index("ix_ch_threads_customer", table_name="ch_threads")
    op.drop_table("ch_threads")
    op.drop_index("ix_ch_links_customer", table_name="ch_links")
    op.drop_table("ch_links")
