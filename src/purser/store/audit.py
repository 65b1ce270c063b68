"""The SQL audit repository (`purser.ports.audit.AuditRepository`) on `gw_audit_log`.

Appending takes the chain's lock and reads the head (PostgreSQL: one statement, the function
`gw_audit_lock_head`; SQLite's BEGIN IMMEDIATE already serialises writers, so it only reads the
head), then inserts every record of the call in one statement, sealed with
the audit key the `Database` handle carries (`Database.audit_keys`; never stored in the database).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text

from purser.money import Money
from purser.ports.audit import (
    AUDIT_LOCK,
    EMPTY_HEAD,
    AuditDraft,
    AuditRecord,
    ChainHead,
    ChainKey,
    UnreadableAuditRecord,
    canonical_json,
    seal,
    utc_now_iso,
)
from purser.store.db import Database
from purser.store.direct import Direct
from purser.store.gateway_tables import gw_audit_log, lock_rows

_C = gw_audit_log.c
_HEAD = select(_C.seq, _C.hash).order_by(_C.seq.desc()).limit(1)
_ALL = select(gw_audit_log).order_by(_C.seq)
_INSERT = insert(gw_audit_log)
# Every turn that proposes appends: the head's read and the insert run on the DBAPI cursor (`direct.py`).
_DIRECT_HEAD = Direct(_HEAD)
# PostgreSQL: the chain's lock and its head in one statement (`gateway_tables.AUDIT_LOCK_HEAD_DDL`).
_DIRECT_LOCK_HEAD = Direct(text("SELECT head_seq, head_hash FROM gw_audit_lock_head(:name)"))
_DIRECT_INSERT = Direct(
    _INSERT, ("seq", "at", "kind", "actor", "conversation_id", "action_id", "data", "prev_hash", "hash", "scheme")
)


@functools.cache
def _read_query(since: bool, by_conversation: bool, by_action: bool) -> Any:
    # One statement per filter combination, built on first use.
    query = _ALL
    if since:
        query = query.where(_C.at >= bindparam("since"))
    if by_conversation:
        query = query.where(_C.conversation_id == bindparam("cid"))
    if by_action:
        query = query.where(_C.action_id == bindparam("aid"))
    return query


def record_of(row: Any) -> AuditRecord:
    """A stored row as a record; `UnreadableAuditRecord` when its data is not a JSON object."""
    try:
        data = json.loads(row.data)
    except (TypeError, ValueError) as exc:
        raise UnreadableAuditRecord(int(row.seq), str(exc)) from exc
    if not isinstance(data, dict):
        raise UnreadableAuditRecord(int(row.seq), "data is not a JSON object")
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
        scheme=row.scheme,
    )


class SqlAuditRepository:
    """The audit chain of one database, bound to one connection (transaction); new records are sealed
    with `key` (HMAC-SHA256), or unkeyed (legacy sha256) without one."""

    def __init__(self, conn: Connection, key: ChainKey | None = None) -> None:
        self.conn = conn
        self.key = key

    def head(self) -> ChainHead:
        """The chain's last record (`EMPTY_HEAD` when empty)."""
        last = _DIRECT_HEAD.first(self.conn)
        return EMPTY_HEAD if last is None else ChainHead(int(last[0]), str(last[1]))

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditRecord]:
        """Append `drafts` in order under the chain's lock; returns the sealed records."""
        if not drafts:
            return []
        if self.conn.dialect.name == "postgresql":
            # One round trip, and the lock is held one round trip less before the commit.
            found = _DIRECT_LOCK_HEAD.first(self.conn, {"name": AUDIT_LOCK})
            head = EMPTY_HEAD if found is None or found[0] is None else ChainHead(int(found[0]), str(found[1]))
        else:
            lock_rows(self.conn, [AUDIT_LOCK], utc_now_iso())
            head = self.head()
        sealed: list[AuditRecord] = []
        for item in drafts:
            record = seal(item, head, self.key)
            sealed.append(record)
            head = ChainHead(record.seq, record.hash)
        _DIRECT_INSERT.many(
            self.conn,
            [
                {
                    "seq": r.seq,
                    "at": r.at,
                    "kind": r.kind,
                    "actor": r.actor,
                    "conversation_id": r.conversation_id,
                    "action_id": r.action_id,
                    "data": r.data_json if r.data_json is not None else canonical_json(r.data),
                    "prev_hash": r.prev_hash,
                    "hash": r.hash,
                    "scheme": r.scheme,
                }
                for r in sealed
            ],
        )
        return sealed

    def read(
        self, *, since: str | None = None, conversation_id: str | None = None, action_id: str | None = None
    ) -> list[AuditRecord]:
        """Records in chain order, optionally filtered."""
        query = _read_query(bool(since), conversation_id is not None, action_id is not None)
        params = {"since": since, "cid": conversation_id, "aid": action_id}
        return [record_of(r) for r in self.conn.execute(query, params)]

    def walk(self) -> list[AuditRecord | UnreadableAuditRecord]:
        """Every record in chain order, an unreadable one as its error in place (for verifying)."""
        out: list[AuditRecord | UnreadableAuditRecord] = []
        for row in self.conn.execute(_ALL):
            try:
                out.append(record_of(row))
            except UnreadableAuditRecord as exc:
                out.append(exc)
        return out


def webhook_refunds(db: Database) -> list[tuple[str, str, Money]]:
    """Refunds Stripe webhooks announced (`charge.refunded`, `refund.*`): (refund id, charge id, amount)."""
    with db.read() as conn:
        rows = conn.execute(_webhook_refunds_query())
        return [(r.id, r.charge_id or "", Money(int(r.amount_minor), r.currency)) for r in rows]


@functools.cache
def _webhook_refunds_query() -> Any:
    # Built on first use: the Stripe tables are imported only where Stripe is reconciled.
    from purser.store.stripe_tables import st_money_movements

    return select(st_money_movements).where(st_money_movements.c.kind == "refund")


__all__ = ["SqlAuditRepository", "record_of", "webhook_refunds"]
