"""Events appended to a conversation outside a customer's turn: a teammate's reply, a recovery notice.

Each append is a turn of its own: read the conversation under its lock, write the events and one
audit record in one transaction (`ConversationRepository.commit_turn`), then publish the events
live. Callers differ only in the transcript role, the audit record, and what they check first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from purser.ports.audit import AuditDraft
from purser.ports.conversations import ConversationRecord, TurnWrite

if TYPE_CHECKING:
    from purser.agent.events import AgentEvent
    from purser.agent.runtime import Runtime

__all__ = ["Appended", "append_events"]


@dataclass(frozen=True)
class Appended:
    """Where appended events landed: their turn and the sequence number of the first one."""

    turn: int
    seq: int


async def append_events(
    runtime: Runtime,
    conversation_id: str,
    events: Sequence[AgentEvent],
    *,
    role: str,
    kind: str,
    actor: str,
    data: Callable[[int, int], dict[str, Any]],
    check: Callable[[ConversationRecord], None] | None = None,
) -> Appended:
    """Append `events` (transcript `role`) as a new turn with an audit record `kind` by `actor`,
    whose data is `data(turn, seq)`, in one transaction; then publish them live.

    `check(record)` runs under the conversation's lock before anything is written; what it raises
    leaves everything unchanged (as does `ConversationNotFound` for an unknown conversation)."""
    async with runtime._lock(conversation_id):
        record = runtime.store.get(conversation_id)
        if check is not None:
            check(record)
        turn = record.turns + 1
        seq = record.event_seq + 1  # where the first event lands: the row's counter, no lookup
        draft = AuditDraft(kind, actor, data(turn, seq), conversation_id=conversation_id)
        dumped = tuple((role, e.model_dump(mode="json")) for e in events)
        runtime.store.commit_turn(record, TurnWrite(turn=turn, events=dumped, audit=(draft,)))
        runtime.live.publish(conversation_id, list(events))
        return Appended(turn, seq)
