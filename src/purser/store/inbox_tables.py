"""The team inbox tables (prefix `ib_`): who works a conversation that needs a person, when it was
resolved, the team's private notes, and how far each person has read each conversation. Times are
ISO-8601 UTC strings, which sort as text."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from purser.store.db import metadata

__all__ = ["ib_assignments", "ib_notes", "ib_reads"]

ib_assignments = Table(
    "ib_assignments",
    metadata,
    Column("conversation_id", String(64), primary_key=True),
    Column("assignee", String(64), nullable=True),
    Column("assigned_by", String(64), nullable=True),
    Column("assigned_at", String(40), nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolved_at", String(40), nullable=True),
)

ib_notes = Table(
    "ib_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), nullable=False),
    Column("author", String(64), nullable=False),
    Column("text", Text, nullable=False),  # never part of the transcript: the customer never sees it
    Column("created_at", String(40), nullable=False),
)
Index("ix_ib_notes_conversation", ib_notes.c.conversation_id)

ib_reads = Table(
    "ib_reads",
    metadata,
    Column("person", String(64), nullable=False),
    Column("conversation_id", String(64), nullable=False),
    Column("seen_at", String(40), nullable=False),  # the conversation's updated_at when the person last opened it
    PrimaryKeyConstraint("person", "conversation_id"),
)
