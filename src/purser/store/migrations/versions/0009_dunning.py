"""The dunning tables: cases, their step records, the payment link of each outreach and event cursors.

Revision ID: 0009_dunning
Revises: 0008_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_dunning"
down_revision = "0008_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create dn_cases, dn_steps, dn_links and dn_cursors."""
    op.create_table(
        "dn_cases",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("card_brand", sa.String(32), nullable=True),
        sa.Column("card_last4", sa.String(4), nullable=True),
        sa.Column("decline_reason", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", sa.String(40), nullable=True),
        sa.Column("recovered_by", sa.String(16), nullable=True),
        sa.Column("close_reason", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dn_cases"),
        sa.UniqueConstraint("invoice_id", name="uq_dn_cases_invoice_id"),
    )
    op.create_index("ix_dn_cases_status", "dn_cases", ["status", "id"])
    op.create_index("ix_dn_cases_customer", "dn_cases", ["customer_id"])
    op.create_table(
        "dn_steps",
        sa.Column("case_id", sa.String(80), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("done_at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "step", "action", name="pk_dn_steps"),
    )
    op.create_table(
        "dn_links",
        sa.Column("case_id", sa.String(80), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "step", name="pk_dn_links"),
    )
    op.create_table(
        "dn_cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_dn_cursors"),
    )


def downgrade() -> None:
    """Drop the dunning tables."""
    for table in ("dn_cursors", "dn_links", "dn_steps"):
        op.drop_table(table)
    op.drop_index("ix_dn_cases_customer", table_name="dn_cases")
    op.drop_index("ix_dn_cases_status", table_name="dn_cases")
    op.drop_table("dn_cases")
