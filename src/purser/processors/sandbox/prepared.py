"""Hot statements compiled once per dialect and run straight on the DBAPI cursor.

SQLAlchemy's per-statement machinery (cache key, compiled-cache lookup, execution context, result
metadata, type processors) costs far more than SQLite executing a small indexed SELECT. The
sandbox's hottest statements (the account snapshot's reads, the renewal batch's reads and bulk
writes) therefore compile their Core statement once per dialect and run the SQL text on the cursor
of the transaction's own connection; the row mappers in `rows.py` accept these plain tuples as well as SQLAlchemy rows
(they normalise SQLite's text datetimes, integer booleans and text JSON themselves).

`rows` binds its parameters as they are (strings and integers only); `many` (bulk inserts and
updates) runs each value through its column type's bind processor for the dialect, exactly what
SQLAlchemy would send (SQLite's datetime text, JSON text, psycopg's JSON wrapper), without the
per-row machinery around it. On PostgreSQL an INSERT's rows go as one JSON document that
`json_to_recordset` expands on the server (the json module's C encoder does in one call what
psycopg's per-row, per-value dumpers do in Python), or through COPY when a value is not
JSON-encodable. Both make sure the connection is inside a transaction first (on SQLite a
statement outside one would be its own, and two reads could see two different states).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ClauseElement, Connection, Insert
from sqlalchemy.engine import Dialect

__all__ = ["ENCODE_JSON", "Prepared"]


_Compiled = tuple[str, tuple[str, ...], bool, dict[str, Any], dict[str, Callable[[Any], Any]], frozenset[str]]


class Prepared:
    """A Core statement compiled once per dialect: `rows` for a SELECT, `many` for an executemany.

    `keys`: the parameter names of an INSERT's rows (compiled as SQLAlchemy compiles an
    executemany with those keys)."""

    __slots__ = ("_by_dialect", "_lock", "_recordset", "keys", "statement")

    def __init__(self, statement: ClauseElement, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()
        self._recordset: str | None = None

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:
            with self._lock:
                compiled: Any = self.statement.compile(dialect=dialect, column_keys=self.keys)
                names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.bind_names.values())
                processors = {}
                documents = set()
                for bind, name in compiled.bind_names.items():
                    process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                    if process is not None:
                        processors[name] = process
                    if isinstance(bind.type, JSON):
                        documents.add(name)
                # Literals of the statement (LIMIT 1, status != 'canceled') are bound parameters too.
                found = (
                    compiled.string,
                    names,
                    compiled.positional,
                    dict(compiled.params),
                    processors,
                    frozenset(documents),
                )
                self._by_dialect[key] = found
        return found

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of the statement with `params` (strings and integers only)."""
        sql, names, positional, defaults, _, _ = self._compiled(conn.dialect)
        if not conn.in_transaction():
            conn.begin()  # SQLAlchemy's BEGIN (and its events); the connection's close ends it
        values = {**defaults, **params} if params else defaults
        bound: Any = tuple(values[name] for name in names) if positional else values
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, bound)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    @staticmethod
    def rows_of(
        conn: Connection, statements: Sequence[Prepared], params: Mapping[str, Any]
    ) -> list[list[tuple[Any, ...]]]:
        """`[s.rows(conn, params) for s in statements]` on one cursor (one cursor's creation and
        teardown instead of one per statement: a read of many small statements, the snapshot's)."""
        if not conn.in_transaction():
            conn.begin()
        dialect = conn.dialect
        found: list[list[tuple[Any, ...]]] = []
        cursor = conn.connection.cursor()
        try:
            for statement in statements:
                sql, names, positional, defaults, _, _ = statement._compiled(dialect)
                values = {**defaults, **params}
                cursor.execute(sql, tuple(values[name] for name in names) if positional else values)
                found.append(list(cursor.fetchall()))
        finally:
            cursor.close()
        return found

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        """The first row, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def many(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Execute the statement once per parameter set (cursor.executemany), values type-processed.

        Every parameter set names every parameter (no defaults are filled in)."""
        if not params:
            return
        sql, names, positional, _, processors, documents = self._compiled(conn.dialect)
        if not conn.in_transaction():
            conn.begin()
        if isinstance(self.statement, Insert) and conn.dialect.name == "postgresql":
            try:
                document = ENCODE_JSON([{name: row[name] for name in names} for row in params])
            except TypeError:
                pass  # a value JSON cannot carry: COPY below
            else:
                cursor = conn.connection.cursor()
                try:
                    cursor.execute(self._recordset_sql(conn.dialect, names), (document,))
                finally:
                    cursor.close()
                return
        sqlite = conn.dialect.name == "sqlite"
        # Column by column: each processor mapped over its column, the rows zipped back (in C).
        columns: list[Any] = []
        for name in names:
            column = [row[name] for row in params]
            process = _step(processors.get(name), name in documents, sqlite)
            columns.append(column if process is None else list(map(process, column)))
        rows = list(zip(*columns, strict=True))
        cursor = conn.connection.cursor()
        try:
            if isinstance(self.statement, Insert) and conn.dialect.name == "postgresql":
                # psycopg's executemany costs a protocol round per row: COPY streams them instead.
                target = sql[len("INSERT INTO ") : sql.index(" VALUES ")]
                with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            elif positional:
                cursor.executemany(sql, rows)
            else:
                cursor.executemany(sql, [dict(zip(names, r, strict=True)) for r in rows])
        finally:
            cursor.close()

    def _recordset_sql(self, dialect: Dialect, names: Sequence[str]) -> str:
        # INSERT ... SELECT from the JSON document's records, typed as the table's columns, in order
        # (WITH ORDINALITY: serial ids, such as the event stream's sequence, follow the list).
        found = self._recordset
        if found is None:
            assert isinstance(self.statement, Insert)
            table: Any = self.statement.table
            quote = dialect.identifier_preparer.quote
            columns = ", ".join(quote(n) for n in names)
            record = ", ".join(f"{quote(n)} {table.c[n].type.compile(dialect=dialect)}" for n in names)
            found = self._recordset = (
                f"INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} FROM "
                f"ROWS FROM (json_to_recordset(%s) AS ({record})) WITH ORDINALITY AS v({columns}, _n) ORDER BY _n"
            )
        return found


def _iso(value: Any) -> str:
    # Datetimes (aware UTC) travel as ISO 8601, which PostgreSQL casts exactly; anything else that
    # JSON cannot carry raises TypeError (the caller falls back to COPY).
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


ENCODE_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_iso).encode
"""Compact JSON for bulk writes (`ensure_ascii=False`: the document goes to the server as UTF-8 text)."""


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# What SQLAlchemy's JSON type sends on SQLite (json.dumps text), minus its per-call overhead.


def _step(process: Callable[[Any], Any] | None, document: bool, sqlite: bool) -> Callable[[Any], Any] | None:
    # The per-value processing of one column for one executemany: JSON documents encoded once each
    # (compactly, straight to text on SQLite), other processed values (SQLite's datetime text)
    # computed once per distinct value (a batch's renewals share a few dozen instants).
    if process is None:
        return None
    if document:
        return _once_each(_json_text(process) if sqlite else process)
    return _per_value(process)


def _json_text(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        # Only plain documents take the shortcut; None and SQL NULL markers keep SQLAlchemy's rules.
        if type(value) is dict or type(value) is list:
            return _COMPACT(value)
        return process(value)

    return run


def _per_value(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Any, tuple[Any, Any]] = {}

    def run(value: Any) -> Any:
        try:
            found = seen.get(value)
        except TypeError:  # unhashable: no memo
            return process(value)
        # Equal datetimes in different zones format differently: the memo also matches the zone.
        if found is None or found[0] is not getattr(value, "tzinfo", None):
            found = seen[value] = (getattr(value, "tzinfo", None), process(value))
        return found[1]

    return run


def _once_each(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # A JSON document shared by several rows (the same dict object) is encoded once.
    done: dict[int, tuple[Any, Any]] = {}

    def run(value: Any) -> Any:
        found = done.get(id(value))
        if found is None or found[0] is not value:
            found = done[id(value)] = (value, process(value))
        return found[1]

    return run
