"""The append-only, hash-chained audit log.

Each record carries the previous record's hash; its own hash is sha256 over the canonical
JSON (sorted keys, no spaces, UTF-8) of `seq, at, kind, actor, conversation_id, action_id,
data, prev_hash`. Changing, deleting or reordering any record breaks the chain at that
record, and `AuditLog.verify()` names it. The first record's `prev_hash` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from purser.store.db import Database
from purser.store.gateway_tables import gw_audit_log, lock_rows

GENESIS = "0" * 64
"""`prev_hash` of the first record."""

AUDIT_LOCK = "~audit"
"""Lock row taken while appending (sorts after every customer/day lock)."""


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, compact separators, non-ASCII kept, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utc_now_iso() -> str:
    """Wall-clock UTC time, ISO 8601 with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit record as stored."""

    seq: int
    """Position in the chain, from 1, without gaps."""
    at: str
    """Wall-clock time (ISO 8601 UTC)."""
    kind: str
    """proposal, guard_decision, confirmation, approval_requested, approval_decision, execution, result, ..."""
    actor: str
    """model:<name>, customer:<id>, human:<name> or system."""
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


_LAST_RECORD = select(gw_audit_log.c.seq, gw_audit_log.c.hash).order_by(gw_audit_log.c.seq.desc()).limit(1)
"""The chain's head (built once: appends are on every action's path)."""


class AuditLog:
    """Append, read, verify and export the hash-chained audit log of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing ----------------------------------------------------------------------------
    def append(
        self,
        kind: str,
        *,
        actor: str,
        data: dict[str, Any],
        conversation_id: str | None = None,
        action_id: str | None = None,
        conn: Connection | None = None,
    ) -> AuditRecord:
        """Append one record; inside `conn`'s transaction when given (so it commits with it)."""
        if not kind or not actor:
            raise ValueError("an audit record needs a kind and an actor")
        if conn is not None:
            return self._append(conn, kind, actor, data, conversation_id, action_id)
        with self.db.begin() as own:
            return self._append(own, kind, actor, data, conversation_id, action_id)

    def _append(
        self,
        conn: Connection,
        kind: str,
        actor: str,
        data: dict[str, Any],
        conversation_id: str | None,
        action_id: str | None,
    ) -> AuditRecord:
        at = utc_now_iso()
        lock_rows(conn, [AUDIT_LOCK], at)
        last = conn.execute(_LAST_RECORD).first()
        seq, prev = (1, GENESIS) if last is None else (int(last.seq) + 1, str(last.hash))
        clean = json.loads(canonical_json(data))  # refuse what JSON cannot carry, normalise tuples
        record = AuditRecord(seq, at, kind, actor, conversation_id, action_id, clean, prev, "")
        record = AuditRecord(**{**record.body(), "hash": record.computed_hash()})
        conn.execute(
            gw_audit_log.insert().values(
                seq=seq,
                at=at,
                kind=kind,
                actor=actor,
                conversation_id=conversation_id,
                action_id=action_id,
                data=canonical_json(clean),
                prev_hash=prev,
                hash=record.hash,
            )
        )
        return record

    # -- reading ----------------------------------------------------------------------------
    def records(
        self, *, since: str | None = None, conversation_id: str | None = None, action_id: str | None = None
    ) -> Iterator[AuditRecord]:
        """Records in chain order, optionally from `since` (ISO time) or of one conversation/action."""
        query = select(gw_audit_log).order_by(gw_audit_log.c.seq)
        if since:
            query = query.where(gw_audit_log.c.at >= since)
        if conversation_id is not None:
            query = query.where(gw_audit_log.c.conversation_id == conversation_id)
        if action_id is not None:
            query = query.where(gw_audit_log.c.action_id == action_id)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield _record(row)

    def verify(self) -> VerifyResult:
        """Walk the chain: sequence without gaps, each prev_hash the previous hash, each hash recomputed."""
        prev = GENESIS
        expected_seq = 1
        count = 0
        with self.db.read() as conn:
            rows = conn.execute(select(gw_audit_log).order_by(gw_audit_log.c.seq)).all()
        for row in rows:
            count += 1
            try:
                record = _record(row)
            except (ValueError, TypeError) as exc:
                return VerifyResult(False, count, int(row.seq), f"unreadable data: {exc}")
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


def _record(row: Any) -> AuditRecord:
    data = json.loads(row.data)
    if not isinstance(data, dict):
        raise ValueError("data is not a JSON object")
    return AuditRecord(
        seq=int(row.seq),
        at=str(row.at),
        kind=str(row.kind),
        actor=str(row.actor),
        conversation_id=row.conversation_id,
        action_id=row.action_id,
        data=data,
        prev_hash=str(row.prev_hash),
        hash=str(row.hash),
    )


__all__ = ["GENESIS", "AuditLog", "AuditRecord", "VerifyResult", "canonical_json", "utc_now_iso"]
