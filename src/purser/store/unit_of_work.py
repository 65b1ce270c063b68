"""The SQL unit of work: every repository bound to one connection of one `Database`.

`SqlUnitOfWorkFactory(db).write()` is `Database.begin()` (BEGIN IMMEDIATE on SQLite; on
PostgreSQL `lock` takes `SELECT ... FOR UPDATE` on `gw_locks` rows); `read()` is `Database.read()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from purser.ports.audit import AuditRecord, utc_now_iso
from purser.ports.unit_of_work import TurnBatch, apply_batch
from purser.store.actions import SqlActionRepository, SqlApprovalRepository, SqlLedgerRepository
from purser.store.audit import SqlAuditRepository
from purser.store.db import Database
from purser.store.gateway_tables import lock_rows

_conversations_class: Any = None


def _conversation_repository(conn: Connection) -> Any:
    # Imported on first use: the conversations adapter lives in its own module.
    global _conversations_class
    if _conversations_class is None:
        try:
            module = importlib.import_module("purser.store.conversations")
        except ModuleNotFoundError as exc:
            raise NotImplementedError("purser.store.conversations is not available") from exc
        _conversations_class = module.SqlConversationRepository
    return _conversations_class(conn)


class SqlUnitOfWork:
    """Repositories bound to one connection; everything commits (or not) together."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.actions = SqlActionRepository(conn)
        self.approvals = SqlApprovalRepository(conn)
        self.ledger = SqlLedgerRepository(conn)
        self.audit = SqlAuditRepository(conn)
        self._conversations: Any = None

    @property
    def conversations(self) -> Any:
        """`purser.store.conversations.SqlConversationRepository` on this connection."""
        if self._conversations is None:
            self._conversations = _conversation_repository(self.conn)
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
            yield SqlUnitOfWork(conn)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        """One write transaction, committed when the block ends."""
        with self.db.begin() as conn:
            yield SqlUnitOfWork(conn)

    @contextmanager
    def bound(self, conn: Connection) -> Iterator[SqlUnitOfWork]:
        """A unit of work on a transaction the caller already holds (it commits with it)."""
        yield SqlUnitOfWork(conn)


__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]
