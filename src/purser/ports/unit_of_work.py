"""The unit of work: every repository bound to one transaction, and the buffer of a turn's writes.

`UnitOfWorkFactory.write()` is one transaction (BEGIN IMMEDIATE on SQLite, row locks via `lock`
on PostgreSQL); it commits when the block ends and rolls back on an exception. `read()` is a
read-only view; writing through it is a bug.

`TurnBatch` lets a turn's proposals be decided in memory and written together: the gateway
records new action rows, updates and audit drafts in it (in order), reads its own rows back from
it, and the unit of work applies it inside the turn's write transaction (`UnitOfWork.apply`),
sealing the audit chain at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from purser.ports.actions import (
    Action,
    ActionChanges,
    ActionRepository,
    ApprovalRepository,
    LedgerRepository,
)
from purser.ports.audit import AuditDraft, AuditRecord, AuditRepository
from purser.ports.conversations import ConversationRepository


@dataclass(frozen=True, slots=True)
class ActionUpdate:
    """One buffered change of an action row that existed before the batch."""

    action_id: str
    """The row."""
    changes: ActionChanges
    """What to set."""
    expect_status: str | None = None
    """Only while the row has this status (None: unconditionally)."""


BatchOp = Action | ActionUpdate | AuditDraft
"""One buffered write: a new action row, an update of an older row, an audit record."""


@dataclass
class TurnBatch:
    """A turn's proposal writes, in order, not yet written (core: no storage types).

    New rows are kept as their latest state (updates to a row created in the batch fold into it),
    so applying the batch inserts each new row once; updates of older rows and audit drafts keep
    their order."""

    ops: list[BatchOp] = field(default_factory=list)
    """Every buffered write in the order it was made."""
    new: dict[str, Action] = field(default_factory=dict)
    """Actions created in this batch, by id, in their latest state."""
    stored: dict[str, list[Action]] = field(default_factory=dict)
    """A conversation's actions as read from the store during this turn (read once per turn:
    nothing else writes a conversation's actions while its turn runs)."""

    def add_action(self, action: Action) -> None:
        """Buffer a new action row."""
        self.new[action.id] = action
        self.ops.append(action)

    def update_action(self, action_id: str, changes: ActionChanges, *, expect_status: str | None = None) -> None:
        """Buffer a change: folded into a row of this batch, else kept as an update of an older row."""
        mine = self.new.get(action_id)
        if mine is not None:
            self.new[action_id] = changes.applied_to(mine)
            return
        self.ops.append(ActionUpdate(action_id, changes, expect_status))

    def audit(self, draft: AuditDraft) -> None:
        """Buffer an audit record (sealed into the chain when the batch is applied)."""
        self.ops.append(draft)

    def action(self, action_id: str) -> Action | None:
        """A row created in this batch, or read into it, in its latest state."""
        mine = self.new.get(action_id)
        if mine is not None:
            return mine
        for rows in self.stored.values():
            for row in rows:
                if row.id == action_id:
                    return self.updated(row)
        return None

    def updated(self, action: Action) -> Action:
        """`action` (read from the store) with this batch's updates applied."""
        for op in self.updates():
            if op.action_id == action.id and op.expect_status in (None, action.status):
                action = op.changes.applied_to(action)
        return action

    def of_conversation(self, conversation_id: str) -> list[Action]:
        """This batch's new rows of one conversation, in creation order."""
        return [a for a in self.new.values() if a.conversation_id == conversation_id]

    def new_actions(self) -> list[Action]:
        """New rows in creation order, in their latest state."""
        return list(self.new.values())

    def updates(self) -> list[ActionUpdate]:
        """Updates of older rows, in order."""
        return [op for op in self.ops if isinstance(op, ActionUpdate)]

    def drafts(self) -> list[AuditDraft]:
        """Audit drafts, in order."""
        return [op for op in self.ops if isinstance(op, AuditDraft)]

    def with_audit(self, drafts: Sequence[AuditDraft]) -> TurnBatch:
        """This batch with `drafts` appended after its own records (a new batch: this one is unchanged,
        so a turn retried after `ConversationBusy` does not append them twice)."""
        return TurnBatch(ops=[*self.ops, *drafts], new=self.new, stored=self.stored)

    def __bool__(self) -> bool:
        return bool(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def clear(self) -> None:
        """Forget everything (after it was applied)."""
        self.ops.clear()
        self.new.clear()
        self.stored.clear()


class UnitOfWork(Protocol):
    """Every repository, bound to one transaction."""

    @property
    def actions(self) -> ActionRepository:
        """Proposed actions and confirmations."""
        ...

    @property
    def approvals(self) -> ApprovalRepository:
        """Approval requests."""
        ...

    @property
    def ledger(self) -> LedgerRepository:
        """Refund reservations."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """The hash-chained audit log."""
        ...

    @property
    def conversations(self) -> ConversationRepository:
        """Conversations, their messages, transcript, pending confirmations and usage."""
        ...

    def lock(self, names: Iterable[str]) -> None:
        """Hold these named locks until the transaction ends (sorted; a no-op where the write
        transaction already serialises writers, as on SQLite)."""
        ...

    def apply(self, batch: TurnBatch) -> list[AuditRecord]:
        """Write `batch` in this transaction: new rows, updates, then the audit drafts sealed in
        order. Raises `purser.ports.actions.Conflict` when a new row's id exists already."""
        ...


class UnitOfWorkFactory(Protocol):
    """Opens units of work on one store."""

    def read(self) -> AbstractContextManager[UnitOfWork]:
        """A read-only unit of work."""
        ...

    def write(self) -> AbstractContextManager[UnitOfWork]:
        """One write transaction: committed when the block ends, rolled back on an exception."""
        ...


def apply_batch(uow: UnitOfWork, batch: TurnBatch) -> list[AuditRecord]:
    """`UnitOfWork.apply` in terms of the repositories (adapters may use it as is)."""
    new = batch.new_actions()
    if new:
        uow.actions.add(new)
    for update in batch.updates():
        uow.actions.update(update.action_id, update.changes, expect_status=update.expect_status)
    drafts = batch.drafts()
    return uow.audit.append(drafts) if drafts else []


__all__ = [
    "ActionUpdate",
    "BatchOp",
    "TurnBatch",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "apply_batch",
]
