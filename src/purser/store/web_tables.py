"""The web layer's tables (prefix `web_`): delivered event batches and reply latencies.

`web_deliveries` holds agent events delivered to a conversation outside the
customer's own turn (an approval decided later), for the live stream of every
server process. `web_turns` records each answered customer turn (latency,
number of events), for the dashboard's metrics.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from purser.store.db import metadata

web_deliveries = Table(
    "web_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("source", String(32), nullable=False),  # approval | handoff | system
    Column("events", Text, nullable=False),  # JSON list of §7 agent events
    Column("created_at", String(40), nullable=False),
)
Index("ix_web_deliveries_conversation", web_deliveries.c.conversation_id, web_deliveries.c.id)

web_turns = Table(
    "web_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # message | confirm | approval
    Column("status", Integer, nullable=False),  # HTTP status answered
    Column("latency_ms", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("ix_web_turns_created", web_turns.c.created_at)

__all__ = ["web_deliveries", "web_turns"]
