"""The conversation runtime's tables (prefix `ag_`).

- `ag_conversations`: one row per conversation: who, which channel, open or handed off,
  a `version` bumped by every turn (optimistic concurrency across processes), the `seq`
  counters of its messages and events, its running cost and the agent's last reply.
- `ag_messages`: the model-facing history, one pydantic-ai `ModelMessage` (JSON) per row.
- `ag_events`: the §7 transcript, customer and agent events in order.
- `ag_confirmations`: confirmation requests shown to the customer and their answers.
- `ag_usage`: tokens and cost (decimal string, USD) per turn and model.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from purser.store.db import metadata

ag_conversations = Table(
    "ag_conversations",
    metadata,
    Column("id", String(64), primary_key=True),  # cnv_<random>
    Column("customer_id", String(200), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("status", String(16), nullable=False),  # open | handed_off
    Column("handoff_reason", String(64), nullable=True),
    Column("turns", Integer, nullable=False, default=0),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=0),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    # Counters and running totals a turn would otherwise aggregate (revision 0006_agent_counters).
    Column("message_seq", Integer, nullable=False, default=0, server_default="0"),  # seq of the newest ag_messages row
    Column("event_seq", Integer, nullable=False, default=0, server_default="0"),  # seq of the newest ag_events row
    Column("cost_usd", String(40), nullable=False, default="0", server_default="0"),  # decimal string, sum of ag_usage
    Column("last_reply", Text, nullable=True),  # text of the agent's newest message event
)
Index("ix_ag_conversations_customer", ag_conversations.c.customer_id)

ag_messages = Table(
    "ag_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("turn", Integer, nullable=False),
    Column("data", Text, nullable=False),  # one ModelMessage, pydantic-ai JSON
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("conversation_id", "seq", name="uq_ag_messages_conversation_seq"),
)

ag_events = Table(
    "ag_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("turn", Integer, nullable=False),
    Column("role", String(16), nullable=False),  # customer | agent | human
    Column("type", String(32), nullable=False),
    Column("data", Text, nullable=False),  # the event's JSON
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("conversation_id", "seq", name="uq_ag_events_conversation_seq"),
)

ag_confirmations = Table(
    "ag_confirmations",
    metadata,
    Column("action_id", String(64), primary_key=True),
    Column("conversation_id", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("quote", Text, nullable=True),  # JSON
    Column("status", String(16), nullable=False),  # pending | yes | no
    Column("created_at", String(40), nullable=False),
    Column("decided_at", String(40), nullable=True),
)
Index("ix_ag_confirmations_conversation", ag_confirmations.c.conversation_id)

ag_usage = Table(
    "ag_usage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), nullable=False),
    Column("turn", Integer, nullable=False),
    Column("model", String(200), nullable=False),
    Column("requests", Integer, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_usd", String(40), nullable=False),  # decimal string
    Column("priced", Boolean, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_ag_usage_conversation", ag_usage.c.conversation_id)

__all__ = ["ag_confirmations", "ag_conversations", "ag_events", "ag_messages", "ag_usage"]
