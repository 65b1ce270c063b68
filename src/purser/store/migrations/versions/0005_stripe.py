"""The Stripe adapter's tables: webhook events, refund holds, dunning, money movements, subscription updates.

Revision ID: 0005_stripe
Revises: 0004_web
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_stripe"
down_revision = "0004_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the st_ tables."""
    op.create_table(
        "st_webhook_events",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_st_webhook_events"),
    )
    op.create_table(
        "st_refund_holds",
        sa.Column("charge_id", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("dispute_id", sa.String(100), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name="pk_st_refund_holds"),
    )
    op.create_table(
        "st_dunning",
        sa.Column("invoice_id", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_payment_attempt", sa.String(40), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name="pk_st_dunning"),
    )
    op.create_table(
        "st_money_movements",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("charge_id", sa.String(100), nullable=True),
        sa.Column("customer_id", sa.String(100), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_st_money_movements"),
    )
    op.create_table(
        "st_subscription_updates",
        sa.Column("subscription_id", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("cancel_at_period_end", sa.String(5), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name="pk_st_subscription_updates"),
    )


def downgrade() -> None:
    """Drop the st_ tables."""
    for table in (
        "st_subscription_updates",
        "st_money_movements",
        "st_dunning",
        "st_refund_holds",
        "st_webhook_events",
    ):
        op.drop_table(table)
