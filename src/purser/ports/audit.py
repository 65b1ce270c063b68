"""The audit port: the hash-chained, append-only log as the service layer sees it.

Each record carries the previous record's hash; its own hash is sha256 over the canonical JSON
(sorted keys, no spaces, UTF-8) of `seq, at, kind, actor, conversation_id, action_id, data,
prev_hash`. The first record's `prev_hash` is `GENESIS` (64 zeros). `seal` is the one place the
chain is computed; adapters call it while holding the chain's lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from purser.errors import PurserError

GENESIS = "0" * 64
"""`prev_hash` of the first record."""

AUDIT_LOCK = "~audit"
"""Lock name taken while appending (sorts after every customer/day lock)."""


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, compact separators, non-ASCII kept, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_now_iso() -> str:
    """Wall-clock UTC time, ISO 8601 with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditError(PurserError, ValueError):
    """A record that cannot be written: no kind or no actor."""

    code = "audit_invalid"
    status = 422


class AuditDataError(AuditError, TypeError):
    """A record whose data JSON cannot carry (an object, NaN)."""

    code = "audit_data_not_json"


class UnreadableAuditRecord(PurserError, ValueError):
    """A stored record whose data is not a JSON object (tampering or corruption)."""

    code = "audit_unreadable"
    status = 500

    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(f"audit record {seq}: unreadable data: {detail}")
        self.seq = seq
        self.detail = detail


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """A record before it joins the chain (no position, no hashes yet)."""

    kind: str
    """proposal, guard_decision, confirmation, approval_requested, approval_decision, execution, result, ..."""
    actor: str
    """model:<name>, customer:<id>, human:<name> or system."""
    data: dict[str, Any]
    """Details, already normalised to what JSON carries (see `draft`)."""
    conversation_id: str | None = None
    """The conversation, if any."""
    action_id: str | None = None
    """The action, if any."""
    at: str = ""
    """Wall-clock time (ISO 8601 UTC); stamped at append time when empty."""


def draft(
    kind: str,
    *,
    actor: str,
    data: dict[str, Any],
    conversation_id: str | None = None,
    action_id: str | None = None,
    at: str = "",
) -> AuditDraft:
    """A checked draft: `AuditError` when kind/actor are blank or `data` is not JSON-serialisable."""
    if not kind or not actor:
        raise AuditError("an audit record needs a kind and an actor")
    try:
        clean = json.loads(canonical_json(data))  # refuse what JSON cannot carry, normalise tuples
    except (TypeError, ValueError) as exc:
        raise AuditDataError(f"audit data is not JSON: {exc}") from exc
    return AuditDraft(kind, actor, clean, conversation_id, action_id, at)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit record as stored."""

    seq: int
    """Position in the chain, from 1, without gaps."""
    at: str
    """Wall-clock time (ISO 8601 UTC)."""
    kind: str
    """See `AuditDraft.kind`."""
    actor: str
    """See `AuditDraft.actor`."""
    conversation_id: str | None
    """The conversation, if any."""
    action_id: str | None
    """The action, if any."""
    data: dict[str, Any]
    """Details (arguments, decision, amounts, result)."""
    prev_hash: str
    """Hash of the previous record."""
    hash: str
    """This record's hash."""

    def body(self) -> dict[str, Any]:
        """The hashed fields."""
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "actor": self.actor,
            "conversation_id": self.conversation_id,
            "action_id": self.action_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        """sha256 hex of the canonical JSON of `body()`."""
        return hashlib.sha256(canonical_json(self.body()).encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return {**self.body(), "hash": self.hash}


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last record's position and hash (`seq` 0 and `GENESIS` for an empty chain)."""

    seq: int
    """Position of the last record."""
    hash: str
    """Its hash."""


EMPTY_HEAD = ChainHead(0, GENESIS)
"""The head of an empty chain."""


def seal(draft: AuditDraft, head: ChainHead) -> AuditRecord:
    """The record `draft` becomes when appended after `head`."""
    at = draft.at or utc_now_iso()
    record = AuditRecord(
        head.seq + 1, at, draft.kind, draft.actor, draft.conversation_id, draft.action_id, draft.data, head.hash, ""
    )
    return AuditRecord(
        record.seq,
        at,
        record.kind,
        record.actor,
        record.conversation_id,
        record.action_id,
        record.data,
        record.prev_hash,
        record.computed_hash(),
    )


class AuditRepository(Protocol):
    """The audit chain of one store, bound to one transaction."""

    def head(self) -> ChainHead:
        """The chain's last record (`EMPTY_HEAD` when empty)."""
        ...

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditRecord]:
        """Append `drafts` in order: takes the chain's lock, reads the head once, seals and inserts."""
        ...

    def read(
        self, *, since: str | None = None, conversation_id: str | None = None, action_id: str | None = None
    ) -> list[AuditRecord]:
        """Records in chain order, optionally from `since` (ISO time) or of one conversation/action.

        Raises `UnreadableAuditRecord` for a record whose data is not a JSON object."""
        ...

    def walk(self) -> list[AuditRecord | UnreadableAuditRecord]:
        """Every record in chain order, an unreadable one as its error in place (for verifying)."""
        ...


__all__ = [
    "AUDIT_LOCK",
    "EMPTY_HEAD",
    "GENESIS",
    "AuditDataError",
    "AuditDraft",
    "AuditError",
    "AuditRecord",
    "AuditRepository",
    "ChainHead",
    "UnreadableAuditRecord",
    "canonical_json",
    "draft",
    "seal",
    "utc_now_iso",
]
