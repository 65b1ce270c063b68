"""The append-only, hash-chained audit log.

Each record carries the previous record's hash; its own hash is sha256 over the canonical
JSON (sorted keys, no spaces, UTF-8) of `seq, at, kind, actor, conversation_id, action_id,
data, prev_hash`. Changing, deleting or reordering any record breaks the chain at that
record, and `AuditLog.verify()` names it. The first record's `prev_hash` is 64 zeros.
The record type and the chain's arithmetic live in `purser.ports.audit`; storage is behind the
unit of work (`purser.ports.unit_of_work`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from purser.ports.audit import (
    GENESIS,
    AuditDraft,
    AuditRecord,
    UnreadableAuditRecord,
    canonical_json,
    draft,
    utc_now_iso,
)
from purser.ports.unit_of_work import TurnBatch, UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from purser.store.db import Database


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a chain verification."""

    ok: bool
    """True when every record is intact."""
    records: int
    """Records checked."""
    bad_seq: int | None = None
    """The first bad record (its position in the chain), when not ok."""
    problem: str | None = None
    """What is wrong with it."""


class AuditLog:
    """Append, read, verify and export the hash-chained audit log of one store.

    `AuditLog(db)` works on that database through `purser.store`'s unit of work; pass `uow` to
    use another `UnitOfWorkFactory` (the bootstrap does)."""

    def __init__(self, db: Database | None = None, *, uow: UnitOfWorkFactory | None = None) -> None:
        if uow is None:
            if db is None:
                raise TypeError("AuditLog needs a database or a unit of work factory")
            from purser.store.unit_of_work import SqlUnitOfWorkFactory

            uow = SqlUnitOfWorkFactory(db)
        self.db = db
        self.uow = uow

    # -- writing ----------------------------------------------------------------------------
    def append(
        self,
        kind: str,
        *,
        actor: str,
        data: dict[str, Any],
        conversation_id: str | None = None,
        action_id: str | None = None,
        uow: UnitOfWork | None = None,
    ) -> AuditRecord:
        """Append one record; inside `uow`'s transaction when given (so it commits with it).

        `AuditError` for a blank kind/actor or data JSON cannot carry."""
        item = draft(kind, actor=actor, data=data, conversation_id=conversation_id, action_id=action_id)
        if uow is not None:
            return uow.audit.append([item])[0]
        with self.uow.write() as own:
            return own.audit.append([item])[0]

    def buffer(
        self,
        kind: str,
        *,
        actor: str,
        data: dict[str, Any],
        batch: TurnBatch,
        conversation_id: str | None = None,
        action_id: str | None = None,
    ) -> AuditDraft:
        """Record one draft in `batch` (stamped now; sealed into the chain when the batch is applied)."""
        item = draft(
            kind, actor=actor, data=data, conversation_id=conversation_id, action_id=action_id, at=utc_now_iso()
        )
        batch.audit(item)
        return item

    # -- reading ----------------------------------------------------------------------------
    def records(
        self, *, since: str | None = None, conversation_id: str | None = None, action_id: str | None = None
    ) -> Iterator[AuditRecord]:
        """Records in chain order, optionally from `since` (ISO time) or of one conversation/action."""
        with self.uow.read() as uow:
            found = uow.audit.read(since=since, conversation_id=conversation_id, action_id=action_id)
        yield from found

    def verify(self) -> VerifyResult:
        """Walk the chain: sequence without gaps, each prev_hash the previous hash, each hash recomputed."""
        prev = GENESIS
        expected_seq = 1
        count = 0
        with self.uow.read() as uow:
            walked = uow.audit.walk()
        for record in walked:
            count += 1
            if isinstance(record, UnreadableAuditRecord):
                return VerifyResult(False, count, record.seq, f"unreadable data: {record.detail}")
            if record.seq != expected_seq:
                return VerifyResult(
                    False, count, record.seq, f"expected record {expected_seq} here (deleted or reordered)"
                )
            if record.prev_hash != prev:
                return VerifyResult(
                    False, count, record.seq, "prev_hash does not match the previous record (deleted or reordered)"
                )
            if record.computed_hash() != record.hash:
                return VerifyResult(False, count, record.seq, "content does not match its hash (altered)")
            prev = record.hash
            expected_seq += 1
        return VerifyResult(True, count)


__all__ = ["GENESIS", "AuditLog", "AuditRecord", "VerifyResult", "canonical_json", "utc_now_iso"]
