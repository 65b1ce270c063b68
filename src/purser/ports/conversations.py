"""The conversations port: what the runtime reads and writes of a conversation, as the core sees it.

A customer turn reads once (`ConversationRepository.load_turn`: the conversation row, its model
history, its confirmations) and writes once (`commit_turn`: the row with its counters, the new
messages, the transcript events, new and answered confirmations, usage, and the web layer's
latency row), each in one transaction. The conversation row carries the sequence counters of its
messages and events, the running cost and the agent's last reply, so neither side needs an
aggregate query. Model messages cross this port as pydantic-ai JSON text (one message per item):
the core stays free of the model library, and the runtime decodes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from purser.errors import PurserError
from purser.ports.audit import AuditDraft

__all__ = [
    "ConversationBusy",
    "ConversationNotFound",
    "ConversationRecord",
    "ConversationRepository",
    "ConversationStoreFactory",
    "Dashboard",
    "HandoffRecord",
    "PendingConfirmation",
    "RefundRecord",
    "TranscriptEntry",
    "TurnLatency",
    "TurnLoad",
    "TurnWrite",
    "UsageCost",
    "UsageRow",
]


class ConversationNotFound(PurserError, LookupError):
    """No conversation with that id."""

    code = "conversation_not_found"
    status = 404


class ConversationBusy(PurserError, RuntimeError):
    """Another process committed a turn of this conversation first; retry with fresh state."""

    code = "conversation_busy"
    status = 409


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One conversation: who, where, its state and its counters."""

    id: str
    customer_id: str
    channel: str
    status: str
    """open | handed_off"""
    handoff_reason: str | None
    turns: int
    consecutive_failures: int
    version: int
    """Bumped by every committed turn (optimistic concurrency across processes)."""
    created_at: str
    updated_at: str = ""
    message_seq: int = 0
    """The `seq` of the newest model message (0: none yet)."""
    event_seq: int = 0
    """The `seq` of the newest transcript event (0: none yet)."""
    cost_usd: str = "0"
    """Model cost so far (decimal string, USD)."""
    last_reply: str | None = None
    """The text of the agent's latest message, if any."""

    @property
    def handed_off(self) -> bool:
        """True once a human owns the conversation."""
        return self.status == "handed_off"


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A confirmation request shown to the customer, and its answer (`pending`, `yes`, `no`)."""

    action_id: str
    conversation_id: str
    action: str
    summary: str
    quote: dict[str, Any] | None
    status: str


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Tokens and cost of one model in one turn."""

    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: str
    priced: bool
    turn: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The row as `purser.models.cost.summarize` reads it."""
        return {
            "model": self.model,
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "priced": self.priced,
            "turn": self.turn,
        }


@dataclass(frozen=True, slots=True)
class TurnLatency:
    """The web layer's record of an answered turn (reply latency and event count)."""

    kind: str
    """message | confirm | approval"""
    status: int
    latency_ms: int
    events: int


@dataclass(frozen=True, slots=True)
class TurnLoad:
    """Everything a turn reads, in one read."""

    record: ConversationRecord
    messages: tuple[str, ...] = ()
    """Model messages after `after_seq` (pydantic-ai JSON, one message each), oldest first."""
    confirmations: tuple[PendingConfirmation, ...] = ()
    """Every confirmation request of the conversation, oldest first."""
    after_seq: int = 0
    """Messages with `seq <= after_seq` were left out (the caller holds them already)."""

    @property
    def pending(self) -> list[PendingConfirmation]:
        """The confirmation requests still waiting for the customer's button."""
        return [c for c in self.confirmations if c.status == "pending"]

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """This conversation's confirmation request for `action_id`, if any."""
        return next((c for c in self.confirmations if c.action_id == action_id), None)


@dataclass(frozen=True, slots=True)
class TurnWrite:
    """Everything one turn persists, in one transaction."""

    turn: int
    messages: tuple[str, ...] = ()
    """New model messages (pydantic-ai JSON, one message each)."""
    events: tuple[tuple[str, dict[str, Any]], ...] = ()
    """(role, §7 event JSON) in order."""
    new_confirmations: tuple[PendingConfirmation, ...] = ()
    answered: tuple[tuple[str, str], ...] = ()
    """(action_id, yes | no)"""
    usage: tuple[UsageRow, ...] = ()
    status: str | None = None
    handoff_reason: str | None = None
    consecutive_failures: int | None = None
    cost_usd: str | None = None
    """The conversation's new running cost (None: unchanged)."""
    last_reply: str | None = None
    """The agent's latest message text (None: unchanged)."""
    latency: TurnLatency | None = None
    """The web layer's latency row of this turn, if it measures one."""
    audit: tuple[AuditDraft, ...] = ()
    """Audit records that must land in the same transaction (e.g. a teammate's reply)."""

    def applied_to(self, record: ConversationRecord, now: str) -> ConversationRecord:
        """The conversation row as this turn leaves it (every repository writes exactly this)."""
        return replace(
            record,
            version=record.version + 1,
            updated_at=now,
            turns=self.turn,
            status=self.status if self.status is not None else record.status,
            handoff_reason=self.handoff_reason if self.handoff_reason is not None else record.handoff_reason,
            consecutive_failures=(
                self.consecutive_failures if self.consecutive_failures is not None else record.consecutive_failures
            ),
            message_seq=record.message_seq + len(self.messages),
            event_seq=record.event_seq + len(self.events),
            cost_usd=self.cost_usd if self.cost_usd is not None else record.cost_usd,
            last_reply=self.last_reply if self.last_reply is not None else record.last_reply,
        )


class ConversationRepository(Protocol):
    """Conversations on one transaction (a unit of work binds it to its connection)."""

    def create(self, record: ConversationRecord) -> None:
        """Insert a new conversation."""
        ...

    def get(self, conversation_id: str) -> ConversationRecord | None:
        """The conversation, or None."""
        ...

    def load_turn(self, conversation_id: str, *, after_seq: int = 0) -> TurnLoad | None:
        """The row, the model messages after `after_seq` and every confirmation; None when unknown."""
        ...

    def messages(self, conversation_id: str) -> list[str]:
        """The whole model history (pydantic-ai JSON, one message each), oldest first."""
        ...

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Transcript events with `seq > after`, in order."""
        ...

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """A confirmation request by action id (any conversation)."""
        ...

    def confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Every confirmation request of the conversation, oldest first."""
        ...

    def usage(self, conversation_id: str, *, turn: int | None = None) -> list[UsageRow]:
        """Usage rows of the conversation (or one turn)."""
        ...

    def recent(self, *, limit: int, offset: int) -> list[ConversationRecord]:
        """Conversations, most recently active first."""
        ...

    def commit_turn(self, record: ConversationRecord, write: TurnWrite) -> ConversationRecord:
        """Write one turn against `record` as read; raises `ConversationBusy` when another turn landed
        first. Returns the row as written."""
        ...


class ConversationStoreFactory(Protocol):
    """Opens conversation repositories on transactions of one store."""

    def read(self) -> Any:
        """A context manager yielding a `ConversationRepository` on a read transaction."""
        ...

    def write(self) -> Any:
        """A context manager yielding a `ConversationRepository` on one write transaction."""
        ...


# -- the dashboard's read models ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HandoffRecord:
    """A conversation handed to a human, with the summary written for them."""

    conversation_id: str
    customer_id: str
    channel: str
    reason: str | None
    summary: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """One refund reservation of the gateway's ledger (not released)."""

    day: str
    currency: str
    amount_minor: int
    customer_id: str
    charge_id: str
    state: str
    approved: bool
    counts: bool


@dataclass(frozen=True, slots=True)
class UsageCost:
    """One usage row's model and cost (decimal string, USD)."""

    conversation_id: str
    model: str
    cost_usd: str


class Dashboard(Protocol):
    """What the admin dashboard reads across conversations and the gateway's records."""

    def handoffs(self, *, limit: int) -> list[HandoffRecord]:
        """Conversations handed to a human, newest first."""
        ...

    def refunds_since(self, day: str) -> list[RefundRecord]:
        """Ledger entries from `day` on (ISO date), released ones left out."""
        ...

    def statuses(self) -> dict[str, str]:
        """conversation id -> status, for conversations with at least one turn."""
        ...

    def usage_costs(self) -> list[UsageCost]:
        """Every usage row's conversation, model and cost."""
        ...

    def acted_conversations(self) -> set[str]:
        """Conversations where a write action succeeded."""
        ...

    def record_latency(self, conversation_id: str, latency: TurnLatency) -> None:
        """Append one answered turn's latency row (outside a turn's write)."""
        ...

    def recent_latencies(self, limit: int) -> list[int]:
        """Latencies (ms) of the newest `limit` turns."""
        ...

    def latency_conversations(self, limit: int) -> list[str]:
        """Conversations with answered turns, most recent first."""
        ...
