"""The channels' tables (prefix `ch_`, DESIGN §9): platform identities, threads, seen events,
self-service codes, signed-link tokens and the secrets Purser generates for itself.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from purser.store.db import metadata

ch_links = Table(
    "ch_links",
    metadata,
    Column("channel", String(16), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("linked_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    PrimaryKeyConstraint("channel", "external_id"),
)
Index("ix_ch_links_customer", ch_links.c.customer_id)

ch_threads = Table(
    "ch_threads",
    metadata,
    Column("channel", String(16), nullable=False),
    Column("thread_key", String(300), nullable=False),
    Column("conversation_id", String(200), nullable=False, unique=True),
    Column("customer_id", String(200), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("address", Text, nullable=False),
    Column("last_inbound_at", String(40), nullable=True),
    Column("updated_at", String(40), nullable=False),
    PrimaryKeyConstraint("channel", "thread_key"),
)
Index("ix_ch_threads_customer", ch_threads.c.customer_id, ch_threads.c.updated_at)

ch_seen = Table(
    "ch_seen",
    metadata,
    Column("channel", String(16), nullable=False),
    Column("event_id", String(300), nullable=False),
    Column("seen_at", String(40), nullable=False),
    PrimaryKeyConstraint("channel", "event_id"),
)

ch_codes = Table(
    "ch_codes",
    metadata,
    Column("channel", String(16), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("code_hash", String(128), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("attempts", Integer, nullable=False),
    PrimaryKeyConstraint("channel", "external_id"),
)

ch_tokens = Table(
    "ch_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("purpose", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("used_at", String(40), nullable=True),
)

ch_secrets = Table(
    "ch_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

__all__ = ["ch_codes", "ch_links", "ch_secrets", "ch_seen", "ch_threads", "ch_tokens"]
