"""The conversations port on SQLAlchemy: `SqlConversationRepository` on one connection.

A unit of work constructs the repository on its transaction's `Connection`; `SqlConversationStore`
is the stand-alone factory (a read or a write transaction of its own per block). Statements are
built once at import (bound parameters only), so a turn pays for executing them, not for building
them. A turn reads with three statements (the row, the messages after what the caller holds, the
confirmations) and writes with one guarded UPDATE plus one multi-row INSERT per table it touches;
the conversation row carries the message and event counters, so no `MAX(seq)` is ever read.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Integer, bindparam, func, insert, select, update

from purser.ports.conversations import (
    ConversationBusy,
    ConversationRecord,
    HandoffRecord,
    PendingConfirmation,
    RefundRecord,
    TranscriptEntry,
    TurnLatency,
    TurnLoad,
    TurnWrite,
    UsageCost,
    UsageRow,
)
from purser.store.agent_tables import ag_confirmations, ag_conversations, ag_events, ag_messages, ag_usage
from purser.store.gateway_tables import gw_actions, gw_ledger
from purser.store.web_tables import web_turns

if TYPE_CHECKING:
    from purser.store.db import Database

__all__ = [
    "ConversationSession",
    "SqlConversationRepository",
    "SqlConversationStore",
    "SqlDashboard",
    "new_conversation_id",
]

_c = ag_conversations.c
_CONVERSATION = select(ag_conversations).where(_c.id == bindparam("cid"))
_RECENT = (
    select(ag_conversations)
    .order_by(_c.updated_at.desc(), _c.id)
    .limit(bindparam("limit", type_=Integer()))
    .offset(bindparam("offset", type_=Integer()))
)
_MESSAGES = (
    select(ag_messages.c.data)
    .where(ag_messages.c.conversation_id == bindparam("cid"), ag_messages.c.seq > bindparam("after"))
    .order_by(ag_messages.c.seq)
)
_CONFIRMATIONS = (
    select(ag_confirmations)
    .where(ag_confirmations.c.conversation_id == bindparam("cid"))
    .order_by(ag_confirmations.c.created_at, ag_confirmations.c.action_id)
)
_f = ag_confirmations.c
# The row and its confirmations in one statement (an outer join: a conversation without any still reads).
_CONVERSATION_WITH_CONFIRMATIONS = (
    select(
        ag_conversations,
        _f.action_id.label("f_action_id"),
        _f.action.label("f_action"),
        _f.summary.label("f_summary"),
        _f.quote.label("f_quote"),
        _f.status.label("f_status"),
    )
    .select_from(ag_conversations.outerjoin(ag_confirmations, _f.conversation_id == _c.id))
    .where(_c.id == bindparam("cid"))
    .order_by(_f.created_at, _f.action_id)
)
_CONFIRMATION = select(ag_confirmations).where(ag_confirmations.c.action_id == bindparam("aid"))
_EVENTS = (
    select(ag_events)
    .where(ag_events.c.conversation_id == bindparam("cid"), ag_events.c.seq > bindparam("after"))
    .order_by(ag_events.c.seq)
)
_USAGE = select(ag_usage).where(ag_usage.c.conversation_id == bindparam("cid"))
_USAGE_TURN = _USAGE.where(ag_usage.c.turn == bindparam("turn"))
_INSERT_CONVERSATION = insert(ag_conversations)
_UPDATE_CONVERSATION = (
    update(ag_conversations)
    .where(_c.id == bindparam("b_id"), _c.version == bindparam("b_version"))
    .values(
        version=bindparam("b_new_version"),
        updated_at=bindparam("b_now"),
        turns=bindparam("b_turns"),
        status=bindparam("b_status"),
        handoff_reason=bindparam("b_handoff_reason"),
        consecutive_failures=bindparam("b_failures"),
        message_seq=bindparam("b_message_seq"),
        event_seq=bindparam("b_event_seq"),
        cost_usd=bindparam("b_cost"),
        last_reply=bindparam("b_last_reply"),
    )
)
_INSERT_MESSAGES = insert(ag_messages)
_INSERT_EVENTS = insert(ag_events)
_INSERT_CONFIRMATIONS = insert(ag_confirmations)
_ANSWER_CONFIRMATION = (
    update(ag_confirmations)
    .where(ag_confirmations.c.action_id == bindparam("b_aid"))
    .values(status=bindparam("b_status"), decided_at=bindparam("b_at"))
)
_INSERT_USAGE = insert(ag_usage)
_INSERT_LATENCY = insert(web_turns)


def new_conversation_id() -> str:
    """A fresh conversation id (`cnv_` + 20 hex digits)."""
    return "cnv_" + secrets.token_hex(10)


class SqlConversationRepository:
    """`purser.ports.conversations.ConversationRepository` on one SQLAlchemy connection (its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- reads ----------------------------------------------------------------------------------
    def get(self, conversation_id: str) -> ConversationRecord | None:
        """The conversation, or None."""
        row = self.conn.execute(_CONVERSATION, {"cid": conversation_id}).first()
        return None if row is None else _record(row._mapping)

    def load_turn(self, conversation_id: str, *, after_seq: int = 0) -> TurnLoad | None:
        """The row, the model messages after `after_seq` and every confirmation; None when unknown."""
        rows = self.conn.execute(_CONVERSATION_WITH_CONFIRMATIONS, {"cid": conversation_id}).all()
        if not rows:
            return None
        record = _record(rows[0]._mapping)
        confirmations = tuple(
            PendingConfirmation(
                action_id=m["f_action_id"],
                conversation_id=conversation_id,
                action=m["f_action"],
                summary=m["f_summary"],
                quote=json.loads(m["f_quote"]) if m["f_quote"] else None,
                status=m["f_status"],
            )
            for m in (r._mapping for r in rows)
            if m["f_action_id"] is not None
        )
        if after_seq > record.message_seq:
            after_seq = 0  # the caller's copy is from a history this row does not have: read it all
        messages: tuple[str, ...] = ()
        if record.message_seq > after_seq:  # only what the caller has not seen
            params = {"cid": conversation_id, "after": after_seq}
            messages = tuple(r[0] for r in self.conn.execute(_MESSAGES, params))
        return TurnLoad(record, messages, confirmations, after_seq)

    def confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Every confirmation request of the conversation, oldest first."""
        return [_confirmation(r._mapping) for r in self.conn.execute(_CONFIRMATIONS, {"cid": conversation_id})]

    def messages(self, conversation_id: str) -> list[str]:
        """The whole model history (pydantic-ai JSON, one message each), oldest first."""
        return [r[0] for r in self.conn.execute(_MESSAGES, {"cid": conversation_id, "after": 0})]

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Transcript events with `seq > after`, in order."""
        rows = self.conn.execute(_EVENTS, {"cid": conversation_id, "after": after})
        return [
            TranscriptEntry(
                seq=m["seq"], turn=m["turn"], role=m["role"], at=m["created_at"], event=json.loads(m["data"])
            )
            for m in (r._mapping for r in rows)
        ]

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """A confirmation request by action id (any conversation)."""
        row = self.conn.execute(_CONFIRMATION, {"aid": action_id}).first()
        return None if row is None else _confirmation(row._mapping)

    def usage(self, conversation_id: str, *, turn: int | None = None) -> list[UsageRow]:
        """Usage rows of the conversation (or one turn)."""
        if turn is None:
            rows = self.conn.execute(_USAGE, {"cid": conversation_id})
        else:
            rows = self.conn.execute(_USAGE_TURN, {"cid": conversation_id, "turn": turn})
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
        return [_record(r._mapping) for r in self.conn.execute(_RECENT, {"limit": limit, "offset": offset})]

    # -- writes ---------------------------------------------------------------------------------
    def create(self, record: ConversationRecord) -> None:
        """Insert a new conversation."""
        self.conn.execute(_INSERT_CONVERSATION, [_row(record)])

    def commit_turn(self, record: ConversationRecord, write: TurnWrite) -> ConversationRecord:
        """Write one turn against `record` as read; raises `ConversationBusy` when another turn landed first."""
        from purser.ports.audit import utc_now_iso

        now = utc_now_iso()
        cid = record.id
        written = replace(
            record,
            version=record.version + 1,
            updated_at=now,
            turns=write.turn,
            status=write.status if write.status is not None else record.status,
            handoff_reason=write.handoff_reason if write.handoff_reason is not None else record.handoff_reason,
            consecutive_failures=(
                write.consecutive_failures if write.consecutive_failures is not None else record.consecutive_failures
            ),
            message_seq=record.message_seq + len(write.messages),
            event_seq=record.event_seq + len(write.events),
            cost_usd=write.cost_usd if write.cost_usd is not None else record.cost_usd,
            last_reply=write.last_reply if write.last_reply is not None else record.last_reply,
        )
        conn = self.conn
        result = conn.execute(
            _UPDATE_CONVERSATION,
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
        if result.rowcount != 1:
            raise ConversationBusy(f"conversation {cid} changed while this turn ran; nothing was saved")
        turn = write.turn
        if write.messages:
            start = record.message_seq
            conn.execute(
                _INSERT_MESSAGES,
                [
                    {"conversation_id": cid, "seq": start + i + 1, "turn": turn, "data": data, "created_at": now}
                    for i, data in enumerate(write.messages)
                ],
            )
        if write.events:
            start = record.event_seq
            conn.execute(
                _INSERT_EVENTS,
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
            conn.execute(
                _INSERT_CONFIRMATIONS,
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
            conn.execute(
                _ANSWER_CONFIRMATION,
                [{"b_aid": aid, "b_status": decision, "b_at": now} for aid, decision in write.answered],
            )
        if write.usage:
            conn.execute(
                _INSERT_USAGE,
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
            conn.execute(
                _INSERT_LATENCY,
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


@dataclass(frozen=True)
class ConversationSession:
    """A conversation repository and the transaction's connection (for writers that join it)."""

    conversations: SqlConversationRepository
    connection: Connection


class SqlConversationStore:
    """Opens `SqlConversationRepository`s on read or write transactions of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def read(self) -> Iterator[ConversationSession]:
        """A read transaction."""
        with self.db.read() as conn:
            yield ConversationSession(SqlConversationRepository(conn), conn)

    @contextmanager
    def write(self) -> Iterator[ConversationSession]:
        """One write transaction (committed when the block ends, rolled back on an exception)."""
        with self.db.begin() as conn:
            yield ConversationSession(SqlConversationRepository(conn), conn)


def add_cost(total: str, more: str) -> str:
    """Two decimal strings (USD) added exactly."""
    return str(Decimal(total) + Decimal(more))


def _record(m: Any) -> ConversationRecord:
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
        updated_at=m["updated_at"],
        message_seq=m["message_seq"] or 0,
        event_seq=m["event_seq"] or 0,
        cost_usd=m["cost_usd"] or "0",
        last_reply=m["last_reply"],
    )


def _row(record: ConversationRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "customer_id": record.customer_id,
        "channel": record.channel,
        "status": record.status,
        "handoff_reason": record.handoff_reason,
        "turns": record.turns,
        "consecutive_failures": record.consecutive_failures,
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at or record.created_at,
        "message_seq": record.message_seq,
        "event_seq": record.event_seq,
        "cost_usd": record.cost_usd,
        "last_reply": record.last_reply,
    }


def _confirmation(m: Any) -> PendingConfirmation:
    return PendingConfirmation(
        action_id=m["action_id"],
        conversation_id=m["conversation_id"],
        action=m["action"],
        summary=m["summary"],
        quote=json.loads(m["quote"]) if m["quote"] else None,
        status=m["status"],
    )


_HANDOFFS = (
    select(gw_actions)
    .where(gw_actions.c.action == "handoff", gw_actions.c.status == "escalated")
    .order_by(gw_actions.c.updated_at.desc())
    .limit(bindparam("limit", type_=Integer()))
)
_REFUNDS_SINCE = select(gw_ledger).where(gw_ledger.c.day >= bindparam("day"), gw_ledger.c.state != "released")
_STATUSES = select(_c.id, _c.status).where(_c.turns > 0)
_USAGE_COSTS = select(ag_usage.c.conversation_id, ag_usage.c.model, ag_usage.c.cost_usd)
_ACTED = select(gw_actions.c.conversation_id).where(gw_actions.c.status == "succeeded", gw_actions.c.kind != "read")
_RECENT_LATENCIES = (
    select(web_turns.c.latency_ms).order_by(web_turns.c.id.desc()).limit(bindparam("limit", type_=Integer()))
)
_LATENCY_CONVERSATIONS = (
    select(web_turns.c.conversation_id, func.max(web_turns.c.id).label("last"))
    .group_by(web_turns.c.conversation_id)
    .order_by(func.max(web_turns.c.id).desc())
    .limit(bindparam("limit", type_=Integer()))
)


class SqlDashboard:
    """`purser.ports.conversations.Dashboard` on one database (each call its own read)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def handoffs(self, *, limit: int) -> list[HandoffRecord]:
        """Conversations handed to a human, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(_HANDOFFS, {"limit": limit}).all()
        out = []
        for r in rows:
            result = _loads(r.result) or {}
            handoff = result.get("handoff", {}) if isinstance(result, dict) else {}
            args = _loads(r.arguments) or {}
            args = args if isinstance(args, dict) else {}
            out.append(
                HandoffRecord(
                    conversation_id=r.conversation_id,
                    customer_id=r.customer_id,
                    channel=r.channel,
                    reason=handoff.get("reason") or r.reason or args.get("reason"),
                    summary=handoff.get("summary") or args.get("summary") or r.summary,
                    created_at=r.updated_at,
                )
            )
        return out

    def refunds_since(self, day: str) -> list[RefundRecord]:
        """Ledger entries from `day` on (ISO date), released ones left out."""
        with self.db.read() as conn:
            rows = conn.execute(_REFUNDS_SINCE, {"day": day}).all()
        return [
            RefundRecord(
                day=str(r.day),
                currency=str(r.currency),
                amount_minor=int(r.amount_minor),
                customer_id=str(r.customer_id),
                charge_id=str(r.charge_id),
                state=str(r.state),
                approved=bool(r.approved),
                counts=bool(r.counts),
            )
            for r in rows
        ]

    def statuses(self) -> dict[str, str]:
        """conversation id -> status, for conversations with at least one turn."""
        with self.db.read() as conn:
            return {str(r.id): str(r.status) for r in conn.execute(_STATUSES)}

    def usage_costs(self) -> list[UsageCost]:
        """Every usage row's conversation, model and cost."""
        with self.db.read() as conn:
            rows = conn.execute(_USAGE_COSTS).all()
        return [UsageCost(str(r.conversation_id), str(r.model), str(r.cost_usd or "0")) for r in rows]

    def acted_conversations(self) -> set[str]:
        """Conversations where a write action succeeded."""
        with self.db.read() as conn:
            return {str(v) for v in conn.execute(_ACTED).scalars()}

    def record_latency(self, conversation_id: str, latency: TurnLatency) -> None:
        """Append one answered turn's latency row (outside a turn's write)."""
        from purser.ports.audit import utc_now_iso

        row = {
            "conversation_id": conversation_id,
            "kind": latency.kind,
            "status": latency.status,
            "latency_ms": max(0, latency.latency_ms),
            "events": latency.events,
            "created_at": utc_now_iso(),
        }
        with self.db.begin() as conn:
            conn.execute(_INSERT_LATENCY, [row])

    def recent_latencies(self, limit: int) -> list[int]:
        """Latencies (ms) of the newest `limit` turns."""
        with self.db.read() as conn:
            return [int(v) for v in conn.execute(_RECENT_LATENCIES, {"limit": limit}).scalars()]

    def latency_conversations(self, limit: int) -> list[str]:
        """Conversations with answered turns, most recent first."""
        with self.db.read() as conn:
            return [str(r.conversation_id) for r in conn.execute(_LATENCY_CONVERSATIONS, {"limit": limit})]


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
