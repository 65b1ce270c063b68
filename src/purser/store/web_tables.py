"""The web layer's table (prefix `web_`): `web_turns`, one row per answered customer turn
(reply latency, number of events), for the dashboard's metrics.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from purser.store.db import metadata

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

__all__ = ["web_turns"]
