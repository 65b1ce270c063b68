"""Read models over the runtime and the gateway's records: conversations, tool calls, guard decisions.

The web layer only reads here; every write goes through `Runtime` or `Gateway`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from purser.ports.conversations import ConversationRecord

if TYPE_CHECKING:
    from purser.app import Container


def jsonable(value: Any) -> Any:
    """Pydantic models, dataclasses, datetimes and Money made JSON-ready."""
    from datetime import date, datetime
    from enum import Enum

    from purser.money import Money

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Money):
        return {"amount": value.amount_str(), "currency": value.currency}
    if is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    return value


def serialize_events(events: Sequence[Any]) -> list[dict[str, Any]]:
    """Agent events (pydantic models of §7) as JSON dicts."""
    out: list[dict[str, Any]] = []
    for event in events:
        item = jsonable(event)
        if isinstance(item, dict):
            out.append(item)
    return out


def events_body(events: Sequence[BaseModel]) -> bytes:
    """`{"events": [...]}` as JSON bytes: the document `JSONResponse({"events": serialize_events(events)})`
    sends, byte for byte, but each event encoded once by its own pydantic serializer (no dicts in between,
    no second walk by `json.dumps`): a turn's response costs a quarter of the instructions."""
    return b'{"events":[' + b",".join(event.__pydantic_serializer__.to_json(event) for event in events) + b"]}"


def conversation_info(container: Container, conversation_id: str) -> dict[str, Any]:
    """`{"id", "customer_id", "channel", "status", ...}`; raises `ConversationNotFound`."""
    return record_info(container.runtime.store.get(conversation_id))


def record_info(record: ConversationRecord) -> dict[str, Any]:
    """The JSON of a conversation record (what `conversation_info` returns)."""
    return {
        "id": record.id,
        "customer_id": record.customer_id,
        "channel": record.channel,
        "status": record.status,
        "handoff_reason": record.handoff_reason,
        "turns": record.turns,
        "created_at": record.created_at,
    }


def transcript_entries(container: Container, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's transcript (`seq`, `turn`, `role`, `at`, `event`), oldest first."""
    return [entry.to_json() for entry in container.runtime.transcript(conversation_id)]


def list_conversations(container: Container, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Conversations, most recently active first."""
    rows = container.runtime.conversations(limit=limit, offset=offset)
    return [
        {
            "id": r.id,
            "customer_id": r.customer_id,
            "channel": r.channel,
            "status": r.status,
            "handoff_reason": r.handoff_reason,
            "turns": r.turns,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
        for r in rows
    ]


def tool_calls(container: Container, conversation_id: str) -> list[dict[str, Any]]:
    """Every action the model proposed in the conversation, with its outcome, oldest first."""
    return [jsonable(a) for a in container.gateway.actions(conversation_id)]


def guard_decisions(container: Container, conversation_id: str) -> list[dict[str, Any]]:
    """The audit records of the conversation: guard decisions, confirmations, approvals, executions."""
    return [r.to_json() for r in container.audit.records(conversation_id=conversation_id)]


def approvals_json(container: Container, *, status: str | None) -> list[dict[str, Any]]:
    """Approval requests: pending ones oldest first (the inbox), then decided ones newest first."""
    found = [jsonable(a) for a in container.gateway.approvals(status=status)]
    pending = [a for a in found if a.get("status") == "pending"]
    decided = [a for a in found if a.get("status") != "pending"]
    return pending + decided[::-1]


def approval_conversation(container: Container, approval_id: str) -> str | None:
    """The conversation an approval request belongs to, or None when there is no such request."""
    found = container.gateway.approval(approval_id)
    return None if found is None else found.conversation_id


def handoffs(container: Container, *, limit: int) -> list[dict[str, Any]]:
    """Conversations handed to a human, newest first, with the summary written for the human."""
    from purser.web.metrics import dashboard_of

    return [asdict(h) for h in dashboard_of(container.db).handoffs(limit=limit)]


__all__ = [
    "approval_conversation",
    "approvals_json",
    "conversation_info",
    "events_body",
    "guard_decisions",
    "handoffs",
    "jsonable",
    "list_conversations",
    "serialize_events",
    "tool_calls",
    "transcript_entries",
]
