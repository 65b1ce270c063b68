"""The conversations port on SQLAlchemy: `SqlConversationRepository` on one connection.

A unit of work (`purser.store.unit_of_work`) constructs the repository on its transaction's
`Connection`. Statements are built once at import (`conversation_rows.py`). A turn reads with one
statement for the row and its confirmations plus one for the messages after what the caller holds,
and writes with one guarded UPDATE plus one multi-row INSERT per table it touches; the conversation
row carries the message and event counters, so no `MAX(seq)` is ever read. The dashboard's read
model is `SqlDashboard` in dashboard.py (re-exported here).
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from purser.ports.audit import utc_now_iso
from purser.ports.conversations import (
    ConversationBusy,
    ConversationRecord,
    PendingConfirmation,
    TranscriptEntry,
    TurnLoad,
    TurnWrite,
    UsageRow,
)
from purser.store.conversation_rows import (
    CONFIRMATION,
    CONFIRMATIONS,
    CONVERSATION,
    DIRECT_ANSWER_CONFIRMATION,
    DIRECT_CONVERSATION_WITH_CONFIRMATIONS,
    DIRECT_INSERT_CONFIRMATIONS,
    DIRECT_INSERT_EVENTS,
    DIRECT_INSERT_LATENCY,
    DIRECT_INSERT_MESSAGES,
    DIRECT_INSERT_USAGE,
    DIRECT_MESSAGES,
    DIRECT_UPDATE_CONVERSATION,
    EVENTS,
    INSERT_CONVERSATION,
    MESSAGES,
    RECENT,
    USAGE,
    USAGE_TURN,
    confirmation_of,
    new_conversation_id,
    record_of,
    row_of,
)
from purser.store.dashboard import SqlDashboard

__all__ = ["SqlConversationRepository", "SqlDashboard", "new_conversation_id"]


class SqlConversationRepository:
    """`purser.ports.conversations.ConversationRepository` on one SQLAlchemy connection (its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- reads ----------------------------------------------------------------------------------
    def get(self, conversation_id: str) -> ConversationRecord | None:
        """The conversation, or None."""
        row = self.conn.execute(CONVERSATION, {"cid": conversation_id}).first()
        return None if row is None else record_of(row._mapping)

    def load_turn(self, conversation_id: str, *, after_seq: int = 0) -> TurnLoad | None:
        """The row, the model messages after `after_seq` and every confirmation; None when unknown."""
        rows = DIRECT_CONVERSATION_WITH_CONFIRMATIONS.mappings(self.conn, {"cid": conversation_id})
        if not rows:
            return None
        record = record_of(rows[0])
        confirmations = tuple(
            PendingConfirmation(
                action_id=m["f_action_id"],
                conversation_id=conversation_id,
                action=m["f_action"],
                summary=m["f_summary"],
                quote=json.loads(m["f_quote"]) if m["f_quote"] else None,
                status=m["f_status"],
            )
            for m in rows
            if m["f_action_id"] is not None
        )
        if after_seq > record.message_seq:
            after_seq = 0  # the caller's copy is from a history this row does not have: read it all
        messages: tuple[str, ...] = ()
        if record.message_seq > after_seq:  # only what the caller has not seen
            params = {"cid": conversation_id, "after": after_seq}
            messages = tuple(r[0] for r in DIRECT_MESSAGES.rows(self.conn, params))
        return TurnLoad(record, messages, confirmations, after_seq)

    def confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Every confirmation request of the conversation, oldest first."""
        return [confirmation_of(r._mapping) for r in self.conn.execute(CONFIRMATIONS, {"cid": conversation_id})]

    def messages(self, conversation_id: str) -> list[str]:
        """The whole model history (pydantic-ai JSON, one message each), oldest first."""
        return [r[0] for r in self.conn.execute(MESSAGES, {"cid": conversation_id, "after": 0})]

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Transcript events with `seq > after`, in order."""
        rows = self.conn.execute(EVENTS, {"cid": conversation_id, "after": after})
        return [
            TranscriptEntry(
                seq=m["seq"], turn=m["turn"], role=m["role"], at=m["created_at"], event=json.loads(m["data"])
            )
            for m in (r._mapping for r in rows)
        ]

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """A confirmation request by action id (any conversation)."""
        row = self.conn.execute(CONFIRMATION, {"aid": action_id}).first()
        return None if row is None else confirmation_of(row._mapping)

    def usage(self, conversation_id: str, *, turn: int | None = None) -> list[UsageRow]:
        """Usage rows of the conversation (or one turn)."""
        if turn is None:
            rows = self.conn.execute(USAGE, {"cid": conversation_id})
        else:
            rows = self.conn.execute(USAGE_TURN, {"cid": conversation_id, "turn": turn})
        return [
            UsageRow(
                model=m["model"],
                requests=m["requests"],
                input_tokens=m["input_tokens"],
                output_tokens=m["output_tokens"],
                cost_usd=m["cost_usd"],
                priced=bool(m["priced"]),
                turn=m["turn"],
            )
            for m in (r._mapping for r in rows)
        ]

    def recent(self, *, limit: int, offset: int) -> list[ConversationRecord]:
        """Conversations, most recently active first."""
        return [record_of(r._mapping) for r in self.conn.execute(RECENT, {"limit": limit, "offset": offset})]

    # -- writes ---------------------------------------------------------------------------------
    def create(self, record: ConversationRecord) -> None:
        """Insert a new conversation."""
        self.conn.execute(INSERT_CONVERSATION, [row_of(record)])

    def commit_turn(self, record: ConversationRecord, write: TurnWrite) -> ConversationRecord:
        """Write one turn against `record` as read; raises `ConversationBusy` when another turn landed first."""
        now = utc_now_iso()
        cid = record.id
        written = write.applied_to(record, now)
        conn = self.conn
        matched = DIRECT_UPDATE_CONVERSATION.execute(
            conn,
            {
                "b_id": cid,
                "b_version": record.version,
                "b_new_version": written.version,
                "b_now": now,
                "b_turns": written.turns,
                "b_status": written.status,
                "b_handoff_reason": written.handoff_reason,
                "b_failures": written.consecutive_failures,
                "b_message_seq": written.message_seq,
                "b_event_seq": written.event_seq,
                "b_cost": written.cost_usd,
                "b_last_reply": written.last_reply,
            },
        )
        if matched != 1:
            raise ConversationBusy(f"conversation {cid} changed while this turn ran; nothing was saved")
        turn = write.turn
        if write.messages:
            start = record.message_seq
            DIRECT_INSERT_MESSAGES.many(
                conn,
                [
                    {"conversation_id": cid, "seq": start + i + 1, "turn": turn, "data": data, "created_at": now}
                    for i, data in enumerate(write.messages)
                ],
            )
        if write.events:
            start = record.event_seq
            DIRECT_INSERT_EVENTS.many(
                conn,
                [
                    {
                        "conversation_id": cid,
                        "seq": start + i + 1,
                        "turn": turn,
                        "role": role,
                        "type": str(event.get("type", "")),
                        "data": json.dumps(event, separators=(",", ":"), ensure_ascii=False),
                        "created_at": now,
                    }
                    for i, (role, event) in enumerate(write.events)
                ],
            )
        if write.new_confirmations:
            DIRECT_INSERT_CONFIRMATIONS.many(
                conn,
                [
                    {
                        "action_id": c.action_id,
                        "conversation_id": cid,
                        "action": c.action,
                        "summary": c.summary,
                        "quote": json.dumps(c.quote) if c.quote is not None else None,
                        "status": "pending",
                        "created_at": now,
                        "decided_at": None,
                    }
                    for c in write.new_confirmations
                ],
            )
        if write.answered:
            DIRECT_ANSWER_CONFIRMATION.many(
                conn,
                [{"b_aid": aid, "b_status": decision, "b_at": now} for aid, decision in write.answered],
            )
        if write.usage:
            DIRECT_INSERT_USAGE.many(
                conn,
                [
                    {
                        "conversation_id": cid,
                        "turn": turn,
                        "model": u.model,
                        "requests": u.requests,
                        "input_tokens": u.input_tokens,
                        "output_tokens": u.output_tokens,
                        "cost_usd": u.cost_usd,
                        "priced": u.priced,
                        "created_at": now,
                    }
                    for u in write.usage
                ],
            )
        if write.latency is not None:
            lat = write.latency
            DIRECT_INSERT_LATENCY.many(
                conn,
                [
                    {
                        "conversation_id": cid,
                        "kind": lat.kind,
                        "status": lat.status,
                        "latency_ms": max(0, lat.latency_ms),
                        "events": lat.events,
                        "created_at": now,
                    }
                ],
            )
        return written
