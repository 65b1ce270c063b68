"""The conversations store's statements (built once at import, bound parameters only) and row mapping.

A turn pays for executing these, not for building them; `conversations.py` runs them.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import Integer, bindparam, insert, select, update

from purser.ports.conversations import ConversationRecord, PendingConfirmation
from purser.store.agent_tables import ag_confirmations, ag_conversations, ag_events, ag_messages, ag_usage
from purser.store.direct import Direct
from purser.store.web_tables import web_turns

__all__ = [
    "ANSWER_CONFIRMATION",
    "CONFIRMATION",
    "CONFIRMATIONS",
    "CONVERSATION",
    "CONVERSATION_WITH_CONFIRMATIONS",
    "DIRECT_ANSWER_CONFIRMATION",
    "DIRECT_CONVERSATION_WITH_CONFIRMATIONS",
    "DIRECT_INSERT_CONFIRMATIONS",
    "DIRECT_INSERT_EVENTS",
    "DIRECT_INSERT_LATENCY",
    "DIRECT_INSERT_MESSAGES",
    "DIRECT_INSERT_USAGE",
    "DIRECT_MESSAGES",
    "DIRECT_UPDATE_CONVERSATION",
    "EVENTS",
    "INSERT_CONFIRMATIONS",
    "INSERT_CONVERSATION",
    "INSERT_EVENTS",
    "INSERT_LATENCY",
    "INSERT_MESSAGES",
    "INSERT_USAGE",
    "MESSAGES",
    "RECENT",
    "UPDATE_CONVERSATION",
    "USAGE",
    "USAGE_TURN",
    "confirmation_of",
    "new_conversation_id",
    "record_of",
    "row_of",
]

_c = ag_conversations.c
CONVERSATION = select(ag_conversations).where(_c.id == bindparam("cid"))
RECENT = (
    select(ag_conversations)
    .order_by(_c.updated_at.desc(), _c.id)
    .limit(bindparam("limit", type_=Integer()))
    .offset(bindparam("offset", type_=Integer()))
)
MESSAGES = (
    select(ag_messages.c.data)
    .where(ag_messages.c.conversation_id == bindparam("cid"), ag_messages.c.seq > bindparam("after"))
    .order_by(ag_messages.c.seq)
)
CONFIRMATIONS = (
    select(ag_confirmations)
    .where(ag_confirmations.c.conversation_id == bindparam("cid"))
    .order_by(ag_confirmations.c.created_at, ag_confirmations.c.action_id)
)
_f = ag_confirmations.c
# The row and its confirmations in one statement (an outer join: a conversation without any still reads).
CONVERSATION_WITH_CONFIRMATIONS = (
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
CONFIRMATION = select(ag_confirmations).where(ag_confirmations.c.action_id == bindparam("aid"))
EVENTS = (
    select(ag_events)
    .where(ag_events.c.conversation_id == bindparam("cid"), ag_events.c.seq > bindparam("after"))
    .order_by(ag_events.c.seq)
)
USAGE = select(ag_usage).where(ag_usage.c.conversation_id == bindparam("cid"))
USAGE_TURN = USAGE.where(ag_usage.c.turn == bindparam("turn"))
INSERT_CONVERSATION = insert(ag_conversations)
UPDATE_CONVERSATION = (
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
INSERT_MESSAGES = insert(ag_messages)
INSERT_EVENTS = insert(ag_events)
INSERT_CONFIRMATIONS = insert(ag_confirmations)
ANSWER_CONFIRMATION = (
    update(ag_confirmations)
    .where(ag_confirmations.c.action_id == bindparam("b_aid"))
    .values(status=bindparam("b_status"), decided_at=bindparam("b_at"))
)
INSERT_USAGE = insert(ag_usage)
INSERT_LATENCY = insert(web_turns)

# The turn's own statements (its one read and its one write) run on the DBAPI cursor (`direct.py`).
DIRECT_CONVERSATION_WITH_CONFIRMATIONS = Direct(CONVERSATION_WITH_CONFIRMATIONS)
DIRECT_MESSAGES = Direct(MESSAGES)
DIRECT_UPDATE_CONVERSATION = Direct(UPDATE_CONVERSATION)
DIRECT_INSERT_MESSAGES = Direct(INSERT_MESSAGES, ("conversation_id", "seq", "turn", "data", "created_at"))
DIRECT_INSERT_EVENTS = Direct(INSERT_EVENTS, ("conversation_id", "seq", "turn", "role", "type", "data", "created_at"))
DIRECT_INSERT_CONFIRMATIONS = Direct(
    INSERT_CONFIRMATIONS,
    ("action_id", "conversation_id", "action", "summary", "quote", "status", "created_at", "decided_at"),
)
DIRECT_ANSWER_CONFIRMATION = Direct(ANSWER_CONFIRMATION)
DIRECT_INSERT_USAGE = Direct(
    INSERT_USAGE,
    (
        "conversation_id",
        "turn",
        "model",
        "requests",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "priced",
        "created_at",
    ),
)
DIRECT_INSERT_LATENCY = Direct(
    INSERT_LATENCY, ("conversation_id", "kind", "status", "latency_ms", "events", "created_at")
)


def new_conversation_id() -> str:
    """A fresh conversation id (`cnv_` + 20 hex digits)."""
    return "cnv_" + secrets.token_hex(10)


def record_of(m: Any) -> ConversationRecord:
    """The entity of an `ag_conversations` row mapping."""
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


def row_of(record: ConversationRecord) -> dict[str, Any]:
    """The `ag_conversations` row of a new conversation."""
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


def confirmation_of(m: Any) -> PendingConfirmation:
    """The entity of an `ag_confirmations` row mapping."""
    return PendingConfirmation(
        action_id=m["action_id"],
        conversation_id=m["conversation_id"],
        action=m["action"],
        summary=m["summary"],
        quote=json.loads(m["quote"]) if m["quote"] else None,
        status=m["status"],
    )
