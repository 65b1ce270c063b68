"""In-memory repositories and unit of work: the ports of `purser.ports`, without a database.

For tests of the service layer (gateway, runtime, audit) that need storage semantics but no
SQL: `MemoryUnitOfWorkFactory().write()` is one transaction (writers serialised by a lock, the
whole change applied when the block ends, nothing on an exception), `read()` a consistent
snapshot. The same contract tests run against these and against `purser.store`'s SQL
repositories, so a fake cannot drift from the real thing unnoticed.

    from purser.testing.memory import MemoryUnitOfWorkFactory

    uow = MemoryUnitOfWorkFactory()
    with uow.write() as tx:
        tx.audit.append([draft("note", actor="system", data={})])
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from purser.money import Money
from purser.ports.actions import Action, ActionChanges, ApprovalRequest, Confirmation, Conflict, LedgerEntry
from purser.ports.audit import EMPTY_HEAD, AuditDraft, AuditRecord, ChainHead, UnreadableAuditRecord, seal
from purser.ports.conversations import ConversationRepository
from purser.ports.unit_of_work import TurnBatch, UnitOfWorkFactory, apply_batch
from purser.testing.memory_conversations import ConversationTables, MemoryConversationRepository

__all__ = [
    "MemoryActionRepository",
    "MemoryApprovalRepository",
    "MemoryAuditRepository",
    "MemoryConversationRepository",
    "MemoryLedgerRepository",
    "MemoryState",
    "MemoryUnitOfWork",
    "MemoryUnitOfWorkFactory",
]

LIVE = ("reserved", "executed")
"""Ledger states that count against the envelope."""


@dataclass
class MemoryState:
    """Every table of the store. A transaction works on a `copy()` and replaces the state on commit."""

    actions: dict[str, Action] = field(default_factory=dict)
    confirmations: dict[str, Confirmation] = field(default_factory=dict)
    approvals: dict[str, ApprovalRequest] = field(default_factory=dict)
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    conversations: ConversationTables = field(default_factory=ConversationTables)

    def copy(self) -> MemoryState:
        """A copy whose containers can change independently (rows are immutable dataclasses)."""
        return MemoryState(
            dict(self.actions),
            dict(self.confirmations),
            dict(self.approvals),
            dict(self.ledger),
            list(self.audit),
            self.conversations.copy(),
        )


class MemoryActionRepository:
    """`ActionRepository`: proposed actions and the customers' confirmations."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def get(self, action_id: str) -> Action | None:
        """One action."""
        return self.state.actions.get(action_id)

    def of_conversation(self, conversation_id: str) -> list[Action]:
        """A conversation's actions, oldest first."""
        rows = [a for a in self.state.actions.values() if a.conversation_id == conversation_id]
        return sorted(rows, key=lambda a: a.created_at)

    def open_identical(self, conversation_id: str, action: str, arguments: str) -> Action | None:
        """An identical action still waiting for the customer's answer."""
        return next(
            (a for a in self._identical(conversation_id, action, arguments) if a.status == "needs_confirmation"), None
        )

    def count_identical(self, conversation_id: str, action: str, arguments: str) -> int:
        """How many identical actions the conversation has."""
        return len(self._identical(conversation_id, action, arguments))

    def _identical(self, conversation_id: str, action: str, arguments: str) -> list[Action]:
        return [
            a
            for a in self.state.actions.values()
            if a.conversation_id == conversation_id and a.action == action and a.arguments == arguments
        ]

    def stale(self, statuses: Sequence[str], updated_before: str) -> list[Action]:
        """Actions in `statuses` not touched since `updated_before`."""
        return [a for a in self.state.actions.values() if a.status in statuses and a.updated_at <= updated_before]

    def add(self, actions: Sequence[Action]) -> None:
        """Insert new rows, all or none; `Conflict` on a duplicate id or idempotency key."""
        keys = {a.idempotency_key for a in self.state.actions.values()}
        ids: set[str] = set()
        for a in actions:
            if a.id in self.state.actions or a.id in ids or a.idempotency_key in keys:
                raise Conflict(f"action {actions[0].id} (or one of {len(actions)}) exists already")
            ids.add(a.id)
            keys.add(a.idempotency_key)
        for a in actions:
            self.state.actions[a.id] = a

    def update(
        self,
        action_id: str,
        changes: ActionChanges,
        *,
        expect_status: str | None = None,
        expect_updated_at: str | None = None,
    ) -> bool:
        """Apply `changes`, only while the status is `expect_status` (and `updated_at` is
        `expect_updated_at`) when given; True if a row changed."""
        if expect_status is None and expect_updated_at is not None:
            raise ValueError("expect_updated_at needs expect_status")
        row = self.state.actions.get(action_id)
        if row is None or (expect_status is not None and row.status != expect_status):
            return False
        if expect_updated_at is not None and row.updated_at != expect_updated_at:
            return False
        self.state.actions[action_id] = changes.applied_to(row)
        return True

    def add_confirmation(self, confirmation: Confirmation) -> None:
        """Record the answer; `Conflict` when the action was answered already."""
        if confirmation.action_id in self.state.confirmations:
            raise Conflict(f"action {confirmation.action_id} was answered already")
        self.state.confirmations[confirmation.action_id] = confirmation


class MemoryApprovalRepository:
    """`ApprovalRepository`: requests for a human decision."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def get(self, approval_id: str) -> ApprovalRequest | None:
        """One approval request."""
        return self.state.approvals.get(approval_id)

    def pending_of(self, customer_id: str, action: str) -> list[ApprovalRequest]:
        """The customer's pending requests for `action`, oldest first (then by id)."""
        return [r for r in self.list(status="pending") if r.customer_id == customer_id and r.action == action]

    def list(self, *, status: str | None = None, conversation_id: str | None = None) -> list[ApprovalRequest]:
        """Approval requests, oldest first (then by id)."""
        rows = [
            r
            for r in self.state.approvals.values()
            if status in (None, r.status) and conversation_id in (None, r.conversation_id)
        ]
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    def add(self, request: ApprovalRequest) -> None:
        """Insert a request; `ValueError` when its id or action has one already (unique columns)."""
        if request.id in self.state.approvals or any(
            r.action_id == request.action_id for r in self.state.approvals.values()
        ):
            raise ValueError(f"approval {request.id} (or one for action {request.action_id}) exists already")
        self.state.approvals[request.id] = request

    def decide(self, approval_id: str, *, approve: bool, decided_by: str, decided_at: str, reason: str) -> bool:
        """Decide a pending request; False when it is not pending."""
        row = self.state.approvals.get(approval_id)
        if row is None or row.status != "pending":
            return False
        self.state.approvals[approval_id] = replace(
            row,
            status="approved" if approve else "denied",
            decided_by=decided_by,
            decided_at=decided_at,
            decision_reason=reason,
        )
        return True


class MemoryLedgerRepository:
    """`LedgerRepository`: refund reservations."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def live_for_customer(self, customer_id: str) -> list[LedgerEntry]:
        """The customer's reserved and executed entries."""
        return [e for e in self.state.ledger.values() if e.customer_id == customer_id and e.state in LIVE]

    def live_on_day(self, day: str) -> list[Money]:
        """Amounts of every live entry of the day."""
        return [e.amount for e in self.state.ledger.values() if e.day == day and e.state in LIVE]

    def reserve(self, entry: LedgerEntry) -> None:
        """Insert a `reserved` entry; `ValueError` when the action has one already (a unique column)."""
        if entry.action_id in self.state.ledger:
            raise ValueError(f"action {entry.action_id} has a ledger entry already")
        self.state.ledger[entry.action_id] = entry

    def settle(self, action_id: str, *, refund_id: str | None, updated_at: str) -> None:
        """`executed` with the refund id, or `released` when `refund_id` is None (reserved ones only)."""
        row = self.state.ledger.get(action_id)
        if row is None or row.state != "reserved":
            return
        if refund_id:
            self.state.ledger[action_id] = replace(row, state="executed", refund_id=refund_id, updated_at=updated_at)
        else:
            self.state.ledger[action_id] = replace(row, state="released", updated_at=updated_at)


class MemoryAuditRepository:
    """`AuditRepository`: the hash-chained log (sealed with `purser.ports.audit.seal`, like the store)."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def head(self) -> ChainHead:
        """The chain's last record (`EMPTY_HEAD` when empty)."""
        if not self.state.audit:
            return EMPTY_HEAD
        last = self.state.audit[-1]
        return ChainHead(last.seq, last.hash)

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditRecord]:
        """Append `drafts` in order; returns the sealed records."""
        head = self.head()
        sealed: list[AuditRecord] = []
        for item in drafts:
            record = seal(item, head)
            sealed.append(record)
            head = ChainHead(record.seq, record.hash)
        self.state.audit.extend(sealed)
        return sealed

    def read(
        self, *, since: str | None = None, conversation_id: str | None = None, action_id: str | None = None
    ) -> list[AuditRecord]:
        """Records in chain order, optionally from `since` or of one conversation/action."""
        return [
            r
            for r in self.state.audit
            if (not since or r.at >= since)
            and (conversation_id is None or r.conversation_id == conversation_id)
            and (action_id is None or r.action_id == action_id)
        ]

    def walk(self) -> list[AuditRecord | UnreadableAuditRecord]:
        """Every record in chain order (records in memory are always readable)."""
        return list(self.state.audit)


class MemoryUnitOfWork:
    """Every repository bound to one transaction's copy of the state."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state
        self.actions = MemoryActionRepository(state)
        self.approvals = MemoryApprovalRepository(state)
        self.ledger = MemoryLedgerRepository(state)
        self.audit = MemoryAuditRepository(state)
        self.conversations = MemoryConversationRepository(state.conversations)

    def lock(self, names: Iterable[str]) -> None:
        """A no-op: the factory's lock already serialises write transactions (as SQLite's does)."""
        del names

    def apply(self, batch: TurnBatch) -> list[AuditRecord]:
        """Write `batch` in this transaction (audit chain sealed now, in order)."""
        return apply_batch(self, batch)


class MemoryUnitOfWorkFactory:
    """Units of work on one in-memory store (thread-safe; one writer at a time)."""

    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state if state is not None else MemoryState()
        self._lock = threading.RLock()

    @contextmanager
    def read(self) -> Iterator[MemoryUnitOfWork]:
        """A read-only snapshot (anything written through it is discarded)."""
        with self._lock:
            snapshot = self.state.copy()
        yield MemoryUnitOfWork(snapshot)

    @contextmanager
    def write(self) -> Iterator[MemoryUnitOfWork]:
        """One write transaction: applied when the block ends, discarded on an exception."""
        with self._lock:
            working = self.state.copy()
            yield MemoryUnitOfWork(working)
            self.state = working


if TYPE_CHECKING:  # mypy checks that the fakes implement the ports' Protocols
    _FACTORY: UnitOfWorkFactory = MemoryUnitOfWorkFactory()
    _CONVERSATIONS: ConversationRepository = MemoryConversationRepository(ConversationTables())
