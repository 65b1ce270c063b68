"""The SQL unit of work: every repository bound to one connection of one `Database`.

`SqlUnitOfWorkFactory(db).write()` is `Database.begin()` (BEGIN IMMEDIATE on SQLite; on
PostgreSQL `lock` takes transaction-scoped advisory locks on the names); `read()` is `Database.read()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from purser.ports.audit import AuditRecord, ChainKey, utc_now_iso
from purser.ports.unit_of_work import TurnBatch, apply_batch
from purser.store.actions import SqlActionRepository, SqlApprovalRepository, SqlLedgerRepository
from purser.store.audit import SqlAuditRepository
from purser.store.conversations import SqlConversationRepository
from purser.store.db import Database
from purser.store.gateway_tables import lock_rows


class SqlUnitOfWork:
    """Repositories bound to one connection; everything commits (or not) together."""

    def __init__(self, conn: Connection, audit_key: ChainKey | None = None) -> None:
        self.conn = conn
        self.actions = SqlActionRepository(conn)
        self.approvals = SqlApprovalRepository(conn)
        self.ledger = SqlLedgerRepository(conn)
        self.audit = SqlAuditRepository(conn, audit_key)
        self._conversations: SqlConversationRepository | None = None

    @property
    def conversations(self) -> SqlConversationRepository:
        """The conversations repository on this connection (made on first use)."""
        if self._conversations is None:
            self._conversations = SqlConversationRepository(self.conn)
        return self._conversations

    def lock(self, names: Iterable[str]) -> None:
        """Hold these named locks until the transaction ends (a no-op on SQLite)."""
        lock_rows(self.conn, list(names), utc_now_iso())

    def apply(self, batch: TurnBatch) -> list[AuditRecord]:
        """Write `batch` in this transaction (audit chain sealed now, in order)."""
        return apply_batch(self, batch)


class SqlUnitOfWorkFactory:
    """Units of work on one `Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def read(self) -> Iterator[SqlUnitOfWork]:
        """A read-only unit of work."""
        with self.db.read() as conn:
            yield SqlUnitOfWork(conn, self.db.audit_keys.current)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        """One write transaction, committed when the block ends."""
        with self.db.begin() as conn:
            yield SqlUnitOfWork(conn, self.db.audit_keys.current)

    @contextmanager
    def bound(self, conn: Connection) -> Iterator[SqlUnitOfWork]:
        """A unit of work on a transaction the caller already holds (it commits with it)."""
        yield SqlUnitOfWork(conn, self.db.audit_keys.current)


__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]
