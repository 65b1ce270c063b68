"""Hot reads compiled once per dialect and run straight on the DBAPI cursor.

SQLAlchemy's per-statement machinery (cache key, compiled-cache lookup, execution context, result
metadata, type processors) costs far more than SQLite executing a small indexed SELECT. The
sandbox's hottest reads (the account snapshot, the rows a write locks) therefore compile their
Core statement once per dialect and run the SQL text on the cursor of the transaction's own
connection; the row mappers in `rows.py` accept these plain tuples as well as SQLAlchemy rows
(they normalise SQLite's text datetimes, integer booleans and text JSON themselves).

Only string and integer parameters go through here (no type processing is applied to them), and
the connection must already be inside a transaction: `Database.read()` / `begin()` begin one on
the first statement, so `run` makes sure it has started (on SQLite a statement outside a
transaction would be its own, and two reads could see two different states).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.engine import Dialect

__all__ = ["Prepared"]

_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Any]]


class Prepared:
    """A Core SELECT compiled once per dialect; `rows(conn, params)` returns plain tuples."""

    __slots__ = ("_by_dialect", "_lock", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:
            with self._lock:
                compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
                order = tuple(compiled.positiontup) if compiled.positional else None
                # Literals of the statement (LIMIT 1, status != 'canceled') are bound parameters too.
                found = (compiled.string, order, dict(compiled.params))
                self._by_dialect[key] = found
        return found

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of the statement with `params` (strings and integers only)."""
        sql, order, defaults = self._compiled(conn.dialect)
        if not conn.in_transaction():
            conn.begin()  # SQLAlchemy's BEGIN (and its events); the connection's close ends it
        values = {**defaults, **params} if params else defaults
        bound: Any = values if order is None else tuple(values[name] for name in order)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, bound)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        """The first row, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None
