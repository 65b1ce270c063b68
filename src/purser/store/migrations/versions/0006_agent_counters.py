"""Counters on the conversation row: message and event `seq`, running cost, the agent's last reply.

A turn reads the row once and writes it once; with these on it, neither needs an aggregate query
(`MAX(seq)`, `SUM(cost)`, the newest agent message). Existing conversations are backfilled.

Revision ID: 0006_agent_counters
Revises: 0005_stripe
"""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0006_agent_counters"
down_revision = "0005_stripe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns and fill them from the messages, events and usage already stored."""
    with op.batch_alter_table("ag_conversations") as batch:
        batch.add_column(sa.Column("message_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("event_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("cost_usd", sa.String(40), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_reply", sa.Text(), nullable=True))
    conn = op.get_bind()
    conv = sa.table(
        "ag_conversations",
        sa.column("id"),
        sa.column("message_seq"),
        sa.column("event_seq"),
        sa.column("cost_usd"),
        sa.column("last_reply"),
    )
    msgs = sa.table("ag_messages", sa.column("conversation_id"), sa.column("seq"))
    events = sa.table(
        "ag_events",
        sa.column("conversation_id"),
        sa.column("seq"),
        sa.column("role"),
        sa.column("type"),
        sa.column("data"),
    )
    usage = sa.table("ag_usage", sa.column("conversation_id"), sa.column("cost_usd"))
    conn.execute(
        conv.update().values(
            message_seq=sa.select(sa.func.coalesce(sa.func.max(msgs.c.seq), 0))
            .where(msgs.c.conversation_id == conv.c.id)
            .scalar_subquery(),
            event_seq=sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))
            .where(events.c.conversation_id == conv.c.id)
            .scalar_subquery(),
        )
    )
    # Exact decimal sums and the last reply's text are computed here, not in SQL.
    costs: dict[str, Decimal] = {}
    for cid, cost in conn.execute(sa.select(usage.c.conversation_id, usage.c.cost_usd)):
        costs[cid] = costs.get(cid, Decimal(0)) + Decimal(cost or "0")
    for cid, total in costs.items():
        conn.execute(conv.update().where(conv.c.id == cid).values(cost_usd=str(total)))
    last: dict[str, str] = {}
    query = (
        sa.select(events.c.conversation_id, events.c.data)
        .where(events.c.role == "agent", events.c.type == "message")
        .order_by(events.c.conversation_id, events.c.seq)
    )
    for cid, data in conn.execute(query):
        last[cid] = str(json.loads(data).get("text", ""))
    for cid, text in last.items():
        conn.execute(conv.update().where(conv.c.id == cid).values(last_reply=text))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("ag_conversations") as batch:
        batch.drop_column("last_reply")
        batch.drop_column("cost_usd")
        batch.drop_column("event_seq")
        batch.drop_column("message_seq")
