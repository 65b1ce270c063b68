"""The conversations port in memory (`purser.ports.conversations`), for `purser.testing.memory`.

Same semantics as the SQL repository: the conversation row carries its counters and a version;
`commit_turn` against a stale row raises `ConversationBusy` and writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from purser.ports.audit import utc_now_iso
from purser.ports.conversations import (
    ConversationBusy,
    ConversationRecord,
    PendingConfirmation,
    TranscriptEntry,
    TurnLatency,
    TurnLoad,
    TurnWrite,
    UsageRow,
)

__all__ = ["ConversationTables", "MemoryConversationRepository"]


@dataclass
class ConversationTables:
    """The conversation tables of one in-memory store (copied per transaction)."""

    conversations: dict[str, ConversationRecord] = field(default_factory=dict)
    messages: dict[str, list[str]] = field(default_factory=dict)
    events: dict[str, list[TranscriptEntry]] = field(default_factory=dict)
    confirmations: dict[str, tuple[str, PendingConfirmation]] = field(default_factory=dict)
    """action id -> (created_at, the request)."""
    usage: dict[str, list[UsageRow]] = field(default_factory=dict)
    latencies: list[tuple[str, TurnLatency]] = field(default_factory=list)

    def copy(self) -> ConversationTables:
        """A copy whose containers can change without touching this one (rows are immutable)."""
        return ConversationTables(
            dict(self.conversations),
            {k: list(v) for k, v in self.messages.items()},
            {k: list(v) for k, v in self.events.items()},
            dict(self.confirmations),
            {k: list(v) for k, v in self.usage.items()},
            list(self.latencies),
        )


class MemoryConversationRepository:
    """`ConversationRepository` on one transaction's copy of the tables."""

    def __init__(self, tables: ConversationTables) -> None:
        self.tables = tables

    # -- reads ----------------------------------------------------------------------------------
    def get(self, conversation_id: str) -> ConversationRecord | None:
        """The conversation, or None."""
        return self.tables.conversations.get(conversation_id)

    def load_turn(self, conversation_id: str, *, after_seq: int = 0) -> TurnLoad | None:
        """The row, the model messages after `after_seq` and every confirmation; None when unknown."""
        record = self.get(conversation_id)
        if record is None:
            return None
        if after_seq > record.message_seq:
            after_seq = 0  # the caller's copy is from another history: read it all
        messages = tuple(self.tables.messages.get(conversation_id, [])[after_seq:])
        return TurnLoad(record, messages, tuple(self.confirmations(conversation_id)), after_seq)

    def messages(self, conversation_id: str) -> list[str]:
        """The whole model history, oldest first."""
        return list(self.tables.messages.get(conversation_id, []))

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Transcript events with `seq > after`, in order."""
        return [e for e in self.tables.events.get(conversation_id, []) if e.seq > after]

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """A confirmation request by action id (any conversation)."""
        found = self.tables.confirmations.get(action_id)
        return None if found is None else found[1]

    def confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Every confirmation request of the conversation, oldest first (then by action id)."""
        rows = [(at, c) for at, c in self.tables.confirmations.values() if c.conversation_id == conversation_id]
        return [c for _, c in sorted(rows, key=lambda item: (item[0], item[1].action_id))]

    def usage(self, conversation_id: str, *, turn: int | None = None) -> list[UsageRow]:
        """Usage rows of the conversation (or one turn)."""
        rows = self.tables.usage.get(conversation_id, [])
        return [u for u in rows if turn is None or u.turn == turn]

    def recent(self, *, limit: int, offset: int) -> list[ConversationRecord]:
        """Conversations, most recently active first (ties by id)."""
        rows = sorted(self.tables.conversations.values(), key=lambda r: r.id)
        rows.sort(key=lambda r: r.updated_at or r.created_at, reverse=True)
        return rows[offset : offset + limit]

    # -- writes ---------------------------------------------------------------------------------
    def create(self, record: ConversationRecord) -> None:
        """Insert a new conversation; `ValueError` when the id exists (a primary key)."""
        if record.id in self.tables.conversations:
            raise ValueError(f"conversation {record.id} exists already")
        self.tables.conversations[record.id] = replace(record, updated_at=record.updated_at or record.created_at)

    def commit_turn(self, record: ConversationRecord, write: TurnWrite) -> ConversationRecord:
        """Write one turn against `record` as read; `ConversationBusy` when another turn landed first."""
        cid = record.id
        stored = self.tables.conversations.get(cid)
        if stored is None or stored.version != record.version:
            raise ConversationBusy(f"conversation {cid} changed while this turn ran; nothing was saved")
        now = utc_now_iso()
        written = write.applied_to(record, now)
        tables = self.tables
        tables.conversations[cid] = written
        tables.messages.setdefault(cid, []).extend(write.messages)
        events = tables.events.setdefault(cid, [])
        for i, (role, event) in enumerate(write.events):
            events.append(TranscriptEntry(record.event_seq + i + 1, write.turn, role, now, _json_copy(event)))
        for c in write.new_confirmations:
            pending = PendingConfirmation(c.action_id, cid, c.action, c.summary, _json_copy(c.quote), "pending")
            tables.confirmations[c.action_id] = (now, pending)
        for action_id, decision in write.answered:
            found = tables.confirmations.get(action_id)
            if found is not None:
                tables.confirmations[action_id] = (found[0], replace(found[1], status=decision))
        tables.usage.setdefault(cid, []).extend(replace(u, turn=write.turn) for u in write.usage)
        if write.latency is not None:
            tables.latencies.append((cid, replace(write.latency, latency_ms=max(0, write.latency.latency_ms))))
        return written


def _json_copy(value: Any) -> Any:
    # What a round trip through the database's JSON column gives back: no shared mutable state.
    return None if value is None else json.loads(json.dumps(value))
