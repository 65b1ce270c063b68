"""Conversation persistence on the `ag_` tables: any process can resume any conversation.

A turn is committed in one transaction: the new model messages (pydantic-ai JSON), the
customer's event and the agent's events, new and answered confirmations, usage rows and the
conversation's counters. The conversation's `version` guards against two processes
committing the same turn (the second gets `ConversationBusy` and nothing of its turn lands).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter
from sqlalchemy import func, insert, select, update

from purser.models.cost import Usage, summarize
from purser.store.agent_tables import ag_confirmations, ag_conversations, ag_events, ag_messages, ag_usage
from purser.store.db import Database

__all__ = [
    "ConversationBusy",
    "ConversationNotFound",
    "ConversationRecord",
    "ConversationStore",
    "PendingConfirmation",
    "TranscriptEntry",
    "TurnWrite",
    "utc_iso",
]


class ConversationNotFound(LookupError):
    """No conversation with that id."""


class ConversationBusy(RuntimeError):
    """Another process committed a turn of this conversation first; retry with fresh state."""


def utc_iso(at: datetime | None = None) -> str:
    """ISO 8601 UTC with a Z."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ConversationRecord:
    """One row of `ag_conversations`."""

    id: str
    customer_id: str
    channel: str
    status: str
    handoff_reason: str | None
    turns: int
    consecutive_failures: int
    version: int
    created_at: str

    @property
    def handed_off(self) -> bool:
        """True once a human owns the conversation."""
        return self.status == "handed_off"


@dataclass(frozen=True)
class TranscriptEntry:
    """One event of the transcript: who (`customer`, `agent`, `human`), when, and the §7 event JSON."""

    seq: int
    turn: int
    role: str
    at: str
    event: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"seq": self.seq, "turn": self.turn, "role": self.role, "at": self.at, "event": self.event}


@dataclass(frozen=True)
class PendingConfirmation:
    """A confirmation request the customer has not answered yet (or has)."""

    action_id: str
    conversation_id: str
    action: str
    summary: str
    quote: dict[str, Any] | None
    status: str


@dataclass
class TurnWrite:
    """Everything one turn persists."""

    turn: int
    messages: Sequence[ModelMessage] = ()
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (role, event JSON)
    new_confirmations: list[PendingConfirmation] = field(default_factory=list)
    answered: dict[str, str] = field(default_factory=dict)  # action_id -> yes | no
    usage: list[dict[str, Any]] = field(default_factory=list)
    status: str | None = None
    handoff_reason: str | None = None
    consecutive_failures: int | None = None
    in_transaction: Callable[[Any], None] | None = None
    """Called with the connection after the turn's rows are written, inside the same transaction
    (e.g. an audit record that must land together with the turn)."""


class ConversationStore:
    """Reads and atomic turn writes on the `ag_` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, customer_id: str, channel: str) -> str:
        """A new open conversation; returns its id."""
        cid = "cnv_" + secrets.token_hex(10)
        now = utc_iso()
        with self.db.begin() as conn:
            conn.execute(
                insert(ag_conversations).values(
                    id=cid,
                    customer_id=customer_id,
                    channel=channel,
                    status="open",
                    handoff_reason=None,
                    turns=0,
                    consecutive_failures=0,
                    version=0,
                    created_at=now,
                    updated_at=now,
                )
            )
        return cid

    def get(self, conversation_id: str) -> ConversationRecord:
        """The conversation; raises `ConversationNotFound`."""
        with self.db.read() as conn:
            row = conn.execute(select(ag_conversations).where(ag_conversations.c.id == conversation_id)).first()
        if row is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        m = row._mapping
        return ConversationRecord(
            id=m["id"],
            customer_id=m["customer_id"],
            channel=m["channel"],
            status=m["status"],
            handoff_reason=m["handoff_reason"],
            turns=m["turns"],
            consecutive_failures=m["consecutive_failures"],
            version=m["version"],
            created_at=m["created_at"],
        )

    def messages(self, conversation_id: str) -> list[ModelMessage]:
        """The model-facing history, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(ag_messages.c.data)
                .where(ag_messages.c.conversation_id == conversation_id)
                .order_by(ag_messages.c.seq)
            ).all()
        if not rows:
            return []
        return list(ModelMessagesTypeAdapter.validate_json("[" + ",".join(r[0] for r in rows) + "]"))

    def transcript(self, conversation_id: str) -> list[TranscriptEntry]:
        """Every customer, agent and human event, in order."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(ag_events).where(ag_events.c.conversation_id == conversation_id).order_by(ag_events.c.seq)
            ).all()
        return [
            TranscriptEntry(
                seq=r._mapping["seq"],
                turn=r._mapping["turn"],
                role=r._mapping["role"],
                at=r._mapping["created_at"],
                event=json.loads(r._mapping["data"]),
            )
            for r in rows
        ]

    def last_agent_message(self, conversation_id: str) -> str | None:
        """The text of the agent's latest message in the conversation, if any."""
        with self.db.read() as conn:
            row = conn.execute(
                select(ag_events.c.data)
                .where(
                    ag_events.c.conversation_id == conversation_id,
                    ag_events.c.role == "agent",
                    ag_events.c.type == "message",
                )
                .order_by(ag_events.c.seq.desc())
                .limit(1)
            ).first()
        return None if row is None else str(json.loads(row[0]).get("text", ""))

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """A confirmation request by action id."""
        with self.db.read() as conn:
            row = conn.execute(select(ag_confirmations).where(ag_confirmations.c.action_id == action_id)).first()
        return None if row is None else _confirmation(row._mapping)

    def pending_confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Unanswered confirmation requests of a conversation, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(ag_confirmations)
                .where(ag_confirmations.c.conversation_id == conversation_id, ag_confirmations.c.status == "pending")
                .order_by(ag_confirmations.c.created_at)
            ).all()
        return [_confirmation(r._mapping) for r in rows]

    def usage(self, conversation_id: str, *, turn: int | None = None) -> Usage:
        """Tokens and cost of the conversation (or one turn), per model."""
        query = select(ag_usage).where(ag_usage.c.conversation_id == conversation_id)
        if turn is not None:
            query = query.where(ag_usage.c.turn == turn)
        with self.db.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query).all()]
        return summarize(rows)

    def commit_turn(self, record: ConversationRecord, write: TurnWrite) -> ConversationRecord:
        """Persist one turn atomically; raises `ConversationBusy` when another turn landed first."""
        now = utc_iso()
        cid = record.id
        values: dict[str, Any] = {"version": record.version + 1, "updated_at": now, "turns": write.turn}
        if write.status is not None:
            values["status"] = write.status
        if write.handoff_reason is not None:
            values["handoff_reason"] = write.handoff_reason
        if write.consecutive_failures is not None:
            values["consecutive_failures"] = write.consecutive_failures
        with self.db.begin() as conn:
            result = conn.execute(
                update(ag_conversations)
                .where(ag_conversations.c.id == cid, ag_conversations.c.version == record.version)
                .values(**values)
            )
            if result.rowcount != 1:
                raise ConversationBusy(f"conversation {cid} changed while this turn ran; nothing was saved")
            if write.messages:
                start = conn.execute(
                    select(func.coalesce(func.max(ag_messages.c.seq), 0)).where(ag_messages.c.conversation_id == cid)
                ).scalar_one()
                data = ModelMessagesTypeAdapter.dump_python(list(write.messages), mode="json")
                conn.execute(
                    insert(ag_messages),
                    [
                        {
                            "conversation_id": cid,
                            "seq": start + i + 1,
                            "turn": write.turn,
                            "data": json.dumps(item, separators=(",", ":")),
                            "created_at": now,
                        }
                        for i, item in enumerate(data)
                    ],
                )
            self._append_events(conn, cid, write.turn, write.events, now)
            for conf in write.new_confirmations:
                conn.execute(
                    insert(ag_confirmations).values(
                        action_id=conf.action_id,
                        conversation_id=cid,
                        action=conf.action,
                        summary=conf.summary,
                        quote=json.dumps(conf.quote) if conf.quote is not None else None,
                        status="pending",
                        created_at=now,
                        decided_at=None,
                    )
                )
            for action_id, decision in write.answered.items():
                conn.execute(
                    update(ag_confirmations)
                    .where(ag_confirmations.c.action_id == action_id)
                    .values(status=decision, decided_at=now)
                )
            for row in write.usage:
                conn.execute(insert(ag_usage).values(conversation_id=cid, turn=write.turn, created_at=now, **row))
            if write.in_transaction is not None:
                write.in_transaction(conn)
        # The row as the guarded UPDATE left it (no re-read: nobody else could have changed it since).
        return replace(
            record,
            version=values["version"],
            turns=write.turn,
            status=values.get("status", record.status),
            handoff_reason=values.get("handoff_reason", record.handoff_reason),
            consecutive_failures=values.get("consecutive_failures", record.consecutive_failures),
        )

    def append_events(self, conversation_id: str, turn: int, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Append events outside a model turn (e.g. a human's approval decision delivered later)."""
        with self.db.begin() as conn:
            self._append_events(conn, conversation_id, turn, events, utc_iso())

    @staticmethod
    def _append_events(conn: Any, cid: str, turn: int, events: list[tuple[str, dict[str, Any]]], now: str) -> None:
        if not events:
            return
        start = conn.execute(
            select(func.coalesce(func.max(ag_events.c.seq), 0)).where(ag_events.c.conversation_id == cid)
        ).scalar_one()
        conn.execute(
            insert(ag_events),
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
                for i, (role, event) in enumerate(events)
            ],
        )


def _confirmation(m: Any) -> PendingConfirmation:
    return PendingConfirmation(
        action_id=m["action_id"],
        conversation_id=m["conversation_id"],
        action=m["action"],
        summary=m["summary"],
        quote=json.loads(m["quote"]) if m["quote"] else None,
        status=m["status"],
    )
