"""The SQL adapter of `purser.ports.audit_pages.AuditPages`: the audit chain in pages keyed by seq.

Each page is one read transaction and one range scan on the primary key
(`seq > :after ORDER BY seq LIMIT :limit`), so verifying a chain of any length holds one page at a
time, and a walk from a checkpoint forward reads only what follows it.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from purser.ports.audit import UnreadableAuditRecord
from purser.ports.audit_pages import Walked
from purser.store.audit import record_of
from purser.store.db import Database
from purser.store.gateway_tables import gw_audit_log

__all__ = ["SqlAuditPages"]

_C = gw_audit_log.c
_PAGE = select(gw_audit_log).where(_C.seq > bindparam("after")).order_by(_C.seq).limit(bindparam("limit"))


class SqlAuditPages:
    """The audit chain of `db`, one page per read transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def page(self, after: int, limit: int) -> list[Walked]:
        """Up to `limit` records with `seq > after`, in chain order; an unreadable one as its error."""

        def read(conn: Connection) -> list[Walked]:
            out: list[Walked] = []
            for row in conn.execute(_PAGE, {"after": after, "limit": limit}):
                try:
                    out.append(record_of(row))
                except UnreadableAuditRecord as exc:
                    out.append(exc)
            return out

        return self.db.run_read(read)
