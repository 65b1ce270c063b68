"""Conversation persistence as the runtime uses it: any process can resume any conversation.

`ConversationStore` speaks to the conversations port (`purser.ports.conversations`) through a
factory of units of work (`purser.ports.unit_of_work`; the SQL one or the in-memory fakes):
one read per turn (`load`: the row, the model history, the confirmations) and one write
(`commit_turn`: everything the turn persists, audit records included). The conversation's
`version` guards against two processes committing the same turn (the second gets
`ConversationBusy` and nothing of its turn lands). Model messages are stored as pydantic-ai JSON;
decoded histories are kept in a small per-process cache keyed by the conversation's message
counter, so a turn decodes only the messages it has not seen.

Stored requests carry no `instructions` (`without_instructions`): the system prompt, policy,
knowledge and account a request was sent with (tens of KB) would otherwise be stored, cached and
decoded again with every request of every turn, although pydantic-ai never sends a past request's
instructions: an agent run sends its own (`ModelRequestParameters.instruction_parts`), rebuilt
every turn from the fresh context. Rows written with them still load; they are dropped on decoding.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pydantic
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelRequest

from purser.models.cost import Usage, summarize
from purser.ports.actions import Action
from purser.ports.audit import AuditDraft, utc_now_iso
from purser.ports.conversations import (
    ConversationBusy,
    ConversationNotFound,
    ConversationRecord,
    ConversationStoreFactory,
    PendingConfirmation,
    TranscriptEntry,
    TurnLoad,
    TurnWrite,
)
from purser.ports.unit_of_work import TurnBatch

__all__ = [
    "ConversationBusy",
    "ConversationNotFound",
    "ConversationRecord",
    "ConversationStore",
    "PendingConfirmation",
    "TranscriptEntry",
    "TurnLoad",
    "TurnWrite",
    "decode_messages",
    "encode_messages",
    "utc_iso",
    "without_instructions",
]

HISTORY_CACHE = 256
"""Decoded histories kept per process (least recently used dropped first)."""

AuditWriter = Callable[[Any, AuditDraft], Any]
"""Appends one audit record inside the write transaction (given the unit of work's session)."""


def utc_iso() -> str:
    """Now, ISO 8601 UTC with microseconds and a Z."""
    return utc_now_iso()


_MESSAGE = pydantic.TypeAdapter(
    ModelMessage, config=pydantic.ConfigDict(defer_build=True, ser_json_bytes="base64", val_json_bytes="base64")
)
# One message with `ModelMessagesTypeAdapter`'s settings: its JSON is an item of that adapter's list.


def encode_messages(messages: Sequence[ModelMessage]) -> tuple[str, ...]:
    """pydantic-ai messages as stored: one compact JSON text per message (what
    `ModelMessagesTypeAdapter` writes for each item, straight from pydantic's serializer)."""
    return tuple(_MESSAGE.dump_json(m).decode() for m in messages)


def decode_messages(items: Sequence[str]) -> list[ModelMessage]:
    """Stored messages back to pydantic-ai messages (without the instructions older rows carry)."""
    if not items:
        return []
    return without_instructions(ModelMessagesTypeAdapter.validate_json("[" + ",".join(items) + "]"))


def without_instructions(messages: Iterable[ModelMessage]) -> list[ModelMessage]:
    """`messages` as history keeps them: each request's `instructions` set to None, in place.

    A run sends the model its own instructions, never a stored request's (see the module
    docstring), so history needs none. In place, because the very objects are what the turn's model
    saw and what the offline model's parse of the history is cached under."""
    kept = list(messages)
    for m in kept:
        if isinstance(m, ModelRequest) and m.instructions is not None:
            m.instructions = None
    return kept


class ConversationStore:
    """Reads and atomic turn writes of conversations, through a factory of transactions."""

    def __init__(self, units: ConversationStoreFactory, *, audit: AuditWriter | None = None) -> None:
        self.units = units
        self.audit = audit
        self._history: OrderedDict[str, tuple[int, tuple[ModelMessage, ...]]] = OrderedDict()
        self._history_lock = threading.Lock()

    def create(self, customer_id: str, channel: str) -> str:
        """A new open conversation; returns its id."""
        now = utc_iso()
        record = ConversationRecord(
            id="cnv_" + secrets.token_hex(10),
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
        with self.units.write() as uow:
            uow.conversations.create(record)
        return record.id

    def get(self, conversation_id: str) -> ConversationRecord:
        """The conversation; raises `ConversationNotFound`."""
        with self.units.read() as uow:
            record: ConversationRecord | None = uow.conversations.get(conversation_id)
        if record is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return record

    def load(self, conversation_id: str) -> tuple[TurnLoad, list[ModelMessage]]:
        """Everything a turn reads (one read) and the decoded model history; raises `ConversationNotFound`."""
        cached = self._cached(conversation_id)
        after = cached[0] if cached else 0
        with self.units.read() as uow:
            load: TurnLoad | None = uow.conversations.load_turn(conversation_id, after_seq=after)
        if load is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return load, self._history_of(conversation_id, load, cached, after)

    def _history_of(
        self,
        conversation_id: str,
        load: TurnLoad,
        cached: tuple[int, tuple[ModelMessage, ...]] | None,
        after: int,
    ) -> list[ModelMessage]:
        # The cached history grown by what the read returned (all of it when the cache was stale).
        if cached is not None and load.after_seq == after and after > 0:
            history = [*cached[1], *decode_messages(load.messages)]
        else:
            history = decode_messages(load.messages)
        self._remember(conversation_id, load.record.message_seq, history)
        return history

    def load_with_actions(self, conversation_id: str) -> tuple[TurnLoad, list[ModelMessage], list[Action] | None]:
        """`load`, and in the same read the conversation's gateway actions (for a turn whose batch
        starts from them: `TurnBatch.stored`); None when the store's units of work have no actions."""
        found: list[list[Action] | None] = [None]

        def actions(repo: Any) -> None:
            found[0] = repo.of_conversation(conversation_id)

        load, history = self._load(conversation_id, actions)
        return load, history, found[0]

    def load_with_action(
        self, conversation_id: str, action_id: str
    ) -> tuple[TurnLoad, list[ModelMessage], Action | None]:
        """`load`, and in the same read one gateway action (the one a confirmation answers):
        `(load, history, action)`, the action None when unknown or when the store's units of work
        have no actions (`Gateway.confirm` then reads it itself)."""
        found: list[Action | None] = [None]

        def action(repo: Any) -> None:
            found[0] = repo.get(action_id)

        load, history = self._load(conversation_id, action)
        return load, history, found[0]

    def _load(self, conversation_id: str, also: Callable[[Any], None]) -> tuple[TurnLoad, list[ModelMessage]]:
        # `load`, calling `also(actions repository)` in the same read transaction.
        cached = self._cached(conversation_id)
        after = cached[0] if cached else 0
        with self.units.read() as uow:
            load: TurnLoad | None = uow.conversations.load_turn(conversation_id, after_seq=after)
            repo = getattr(uow, "actions", None)
            if load is not None and repo is not None:
                also(repo)
        if load is None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        return load, self._history_of(conversation_id, load, cached, after)

    def messages(self, conversation_id: str) -> list[ModelMessage]:
        """The model-facing history, oldest first."""
        with self.units.read() as uow:
            items: list[str] = uow.conversations.messages(conversation_id)
        return decode_messages(items)

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Customer, agent and human events with `seq > after`, in order."""
        with self.units.read() as uow:
            entries: list[TranscriptEntry] = uow.conversations.transcript(conversation_id, after=after)
        return entries

    def last_agent_message(self, conversation_id: str) -> str | None:
        """The text of the agent's latest message in the conversation, if any."""
        return self.get(conversation_id).last_reply

    def confirmation(self, action_id: str) -> PendingConfirmation | None:
        """A confirmation request by action id."""
        with self.units.read() as uow:
            found: PendingConfirmation | None = uow.conversations.confirmation(action_id)
        return found

    def pending_confirmations(self, conversation_id: str) -> list[PendingConfirmation]:
        """Unanswered confirmation requests of a conversation, oldest first."""
        with self.units.read() as uow:
            found: list[PendingConfirmation] = uow.conversations.confirmations(conversation_id)
        return [c for c in found if c.status == "pending"]

    def usage(self, conversation_id: str, *, turn: int | None = None) -> Usage:
        """Tokens and cost of the conversation (or one turn), per model."""
        with self.units.read() as uow:
            rows = uow.conversations.usage(conversation_id, turn=turn)
        return summarize([row.as_dict() for row in rows])

    def recent(self, *, limit: int, offset: int) -> list[ConversationRecord]:
        """Conversations, most recently active first."""
        with self.units.read() as uow:
            found: list[ConversationRecord] = uow.conversations.recent(limit=limit, offset=offset)
        return found

    def commit_turn(
        self,
        record: ConversationRecord,
        write: TurnWrite,
        *,
        history: Sequence[ModelMessage] | None = None,
        new: Sequence[ModelMessage] | None = None,
        batch: TurnBatch | None = None,
    ) -> ConversationRecord:
        """Persist one turn atomically; raises `ConversationBusy` when another turn landed first.

        `history`: the decoded history this turn started from, and `new` the messages `write.messages`
        encodes; with them the cache keeps the grown history for the next turn (nothing decoded again).
        `batch`: the gateway's buffered writes of this turn, applied in the same transaction.
        """
        try:
            with self.units.write() as uow:
                written: ConversationRecord = uow.conversations.commit_turn(record, write)
                if batch:
                    # The proposals' rows and audit records commit with the turn, and the turn's own
                    # records join the same append: one chain lock, one head read, one insert.
                    uow.apply(batch.with_audit(write.audit) if write.audit else batch)
                elif write.audit:
                    self._append_audit(uow, write.audit)
        except ConversationBusy:
            self._forget(record.id)
            raise
        if history is not None and write.messages:
            grown = new if new is not None and len(new) == len(write.messages) else decode_messages(write.messages)
            self._remember(written.id, written.message_seq, [*history, *grown])
        elif history is not None:
            self._remember(written.id, written.message_seq, history)
        return written

    def append_events(self, conversation_id: str, turn: int, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Append events outside a model turn (e.g. a human's approval decision delivered later)."""
        record = self.get(conversation_id)
        self.commit_turn(record, TurnWrite(turn=max(turn, record.turns), events=tuple(events)))

    # -- internals --------------------------------------------------------------------------
    def _append_audit(self, uow: Any, drafts: Sequence[AuditDraft]) -> None:
        repo = getattr(uow, "audit", None)
        if repo is not None and hasattr(repo, "append"):
            repo.append(list(drafts))  # a unit of work's audit repository seals them in this transaction
            return
        if self.audit is None:
            raise RuntimeError("audit records in a turn need an audit writer")
        for d in drafts:
            self.audit(uow, d)

    def _cached(self, conversation_id: str) -> tuple[int, tuple[ModelMessage, ...]] | None:
        with self._history_lock:
            found = self._history.get(conversation_id)
            if found is not None:
                self._history.move_to_end(conversation_id)
            return found

    def _remember(self, conversation_id: str, seq: int, history: Sequence[ModelMessage]) -> None:
        with self._history_lock:
            self._history[conversation_id] = (seq, tuple(history))
            self._history.move_to_end(conversation_id)
            while len(self._history) > HISTORY_CACHE:
                self._history.popitem(last=False)

    def _forget(self, conversation_id: str) -> None:
        with self._history_lock:
            self._history.pop(conversation_id, None)
