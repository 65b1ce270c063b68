"""The append-only, hash-chained audit log.

Each record carries the previous record's hash; its own hash is HMAC-SHA256 with the audit key
(`PURSER_AUDIT_KEY`, kept outside the database) over the canonical JSON (sorted keys, no spaces,
UTF-8) of `seq, at, kind, actor, conversation_id, action_id, data, prev_hash, scheme` — or plain
sha256 for records sealed before a key was configured (`purser.ports.audit`). The first record's
`prev_hash` is 64 zeros. Checkpoints of the chain's head go to an anchor file outside the database
(`purser.audit.anchor`); `AuditLog.verify()` (`purser.audit.verify`) walks the chain and holds it
against them, naming the first bad record. Storage is behind the unit of work
(`purser.ports.unit_of_work`); the `Database` handle carries the keys the store seals with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from purser.audit.anchor import AnchorFile, Checkpoint
from purser.audit.verify import VerifyResult, verify_chain, verify_since_checkpoint, walk_pages
from purser.errors import PurserError
from purser.ports.audit import (
    GENESIS,
    NO_KEYS,
    AuditDraft,
    AuditKeys,
    AuditRecord,
    ChainHead,
    canonical_json,
    draft,
    utc_now_iso,
)
from purser.ports.audit_pages import AuditPages, UnitOfWorkPages
from purser.ports.unit_of_work import TurnBatch, UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from purser.store.db import Database


class CheckpointRefused(PurserError, RuntimeError):
    """No checkpoint was written: no anchor file is configured, or the chain does not verify."""

    code = "audit_checkpoint_refused"
    status = 409


class AuditLog:
    """Append, read, verify, checkpoint and export the hash-chained audit log of one store.

    `AuditLog(db)` works on that database through `purser.store`'s unit of work, verifying with the
    keys its handle carries (`db.audit_keys`); pass `uow` and `keys` to use another
    `UnitOfWorkFactory`, and `anchor` to check (and write) checkpoints outside the database."""

    def __init__(
        self,
        db: Database | None = None,
        *,
        uow: UnitOfWorkFactory | None = None,
        keys: AuditKeys | None = None,
        anchor: AnchorFile | None = None,
    ) -> None:
        if uow is None:
            if db is None:
                raise TypeError("AuditLog needs a database or a unit of work factory")
            from purser.store.audit_pages import SqlAuditPages
            from purser.store.unit_of_work import SqlUnitOfWorkFactory

            uow = SqlUnitOfWorkFactory(db)
            self.pages: AuditPages = SqlAuditPages(db)
        else:
            self.pages = UnitOfWorkPages(uow)
        self.db = db
        self.uow = uow
        self.keys = keys if keys is not None else (db.audit_keys if db is not None else NO_KEYS)
        self.anchor = anchor

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

    def append_all(self, drafts: Sequence[AuditDraft]) -> list[AuditRecord]:
        """Append `drafts` (see `purser.ports.audit.draft`) in order, in one transaction."""
        with self.uow.write() as own:
            return own.audit.append(list(drafts))

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

    def head(self) -> ChainHead:
        """The chain's last record (seq 0 and GENESIS when empty)."""
        with self.uow.read() as uow:
            return uow.audit.head()

    def verify(self, *, adopting: bool = False) -> VerifyResult:
        """Walk the chain (sequence, links, each hash with its key) and hold it against every
        checkpoint of the anchor; the result names the first bad record and what this could not prove.

        `adopting`: accept unkeyed records that no signed checkpoint vouches for yet (see `adopt`).
        The chain is read one page at a time (`purser.ports.audit_pages`), never held whole."""
        return verify_chain(walk_pages(self.pages), self.keys, self.anchor, adopting=adopting)

    def verify_since_checkpoint(self) -> VerifyResult:
        """Verify only what the newest trusted checkpoint did not see (`verify.verify_since_checkpoint`):
        its record still there with its hash, the records after it in pages, every anchor line; the
        whole chain (`verify`) when there is no anchor or no checkpoint to build on."""
        if self.anchor is not None:
            result = verify_since_checkpoint(self.pages, self.keys, self.anchor, lambda: self.head().seq)
            if result is not None:
                return result
        return self.verify()

    def checkpoint(self, *, adopting: bool = False, incremental: bool = False) -> Checkpoint:
        """Verify the chain, then append the head it verified to the anchor file (signed with the audit key).

        `incremental`: verify from the newest trusted checkpoint forward (`verify_since_checkpoint`),
        as the periodic job does, so its cost follows what was appended, not the chain's length; the
        default walks the whole chain. `CheckpointRefused` when no anchor is configured or the chain
        does not verify: a checkpoint must never vouch for a chain that was already tampered with."""
        if self.anchor is None:
            raise CheckpointRefused("no anchor file is configured (set PURSER_AUDIT_ANCHOR to a file path)")
        result = self.verify_since_checkpoint() if incremental and not adopting else self.verify(adopting=adopting)
        if not result.ok:
            raise CheckpointRefused(
                f"the audit chain is broken at record {result.bad_seq} ({result.problem}); no checkpoint written"
            )
        return self.anchor.append(ChainHead(result.records, result.head), result.keyed_from)

    def adopt(self) -> Checkpoint | None:
        """A first checkpoint vouching for the unkeyed records sealed before the audit key existed
        (trust on first use): the bootstrap calls it when it has just generated the development key,
        an operator with `purser audit checkpoint --adopt-unkeyed` after configuring a key.

        Nothing happens when there is no key, no anchor or no unkeyed record. The chain must verify
        otherwise: a record after a keyed one, or past a signed checkpoint's `keyed_from`, is never
        adopted, so a downgrade a checkpoint already saw stays caught."""
        if self.anchor is None or self.keys.current is None:
            return None
        head, last = self.head(), self.anchor.last()
        if head.seq == 0 or (last is not None and (last.seq, last.head) == (head.seq, head.hash)):
            return None  # nothing to vouch for, or vouched for already
        result = self.verify(adopting=True)
        if not result.ok or not result.legacy:
            return None
        return self.anchor.append(ChainHead(result.records, result.head), result.keyed_from)


__all__ = [
    "GENESIS",
    "AuditLog",
    "AuditRecord",
    "CheckpointRefused",
    "VerifyResult",
    "canonical_json",
    "utc_now_iso",
]
