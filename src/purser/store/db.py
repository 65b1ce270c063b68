"""One `Database`: an engine plus the shared `metadata` every table module registers on.

Table modules (`store/sandbox_tables.py`, `store/gateway_tables.py`, `store/agent_tables.py`, ...)
import `metadata` from here. Persistent databases are created by Alembic migrations
(`Database.migrate()`); throw-away worlds (gym trials, tests) may use `create_all()`,
and a test checks that the migrations produce exactly `metadata`.

Transactions: `begin()` is a write (SQLite: `BEGIN IMMEDIATE`, the database's one write lock taken
up front so two processes never both read-then-write; PostgreSQL: row locks are the callers').
`read()` is read-only (SQLite: a deferred `BEGIN`, one snapshot, and readers never queue behind the
write lock; PostgreSQL: autocommit, see `read`). PostgreSQL connections are not pinged at checkout
(a round trip per checkout); they are recycled after `POOL_RECYCLE_SECONDS`, and `run_read` /
`run_write` re-run a whole unit once when its connection turns out to be dropped — a read always, a
write only when it failed before its commit was sent (so it is known not to have happened). A write unit that says it
is safe to re-run (`run_write(..., retry_conflicts=True)`: idempotent by key, or recomputed from the
database) is also re-run when PostgreSQL aborts it as a deadlock victim or a serialization failure
(SQLSTATE 40P01 / 40001) before its commit: the abort rolled all of it back.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from purser.ports.audit import NO_KEYS, AuditKeys

T = TypeVar("T")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

DEFAULT_URL = "sqlite:///purser.db"

POOL_RECYCLE_SECONDS = 1800
"""PostgreSQL connections older than this are replaced at checkout (servers and proxies drop idle ones)."""

RETRIES = 1
"""How many times `run_read` / `run_write` re-run a unit whose connection was dropped."""

CONFLICT_RETRIES = 5
"""How many times `run_write(..., retry_conflicts=True)` re-runs a unit aborted by a deadlock or
serialization failure (each after a short random pause, so the two victims do not collide again)."""

_CONFLICT_STATES = frozenset({"40P01", "40001"})
# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back whole.

_READ = "purser_read"
# Execution option marking a `read()` connection: its SQLite BEGIN is deferred (no write lock).


def _load_tables() -> None:
    # Importing the table modules registers their tables on `metadata`.
    import importlib
    import pkgutil

    import purser.store as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.endswith("_tables"):
            importlib.import_module(f"purser.store.{info.name}")


class Database:
    """An engine with the right settings for SQLite or PostgreSQL."""

    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False, audit_keys: AuditKeys = NO_KEYS) -> None:
        self.url = url
        # The audit keys travel with this process's handle, never into the database: every unit of
        # work on it seals the audit chain with `audit_keys.current` (`purser.store.audit`).
        self.audit_keys = audit_keys
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = StaticPool
        else:
            # No pre-ping (one extra round trip per checkout): recycle old connections instead, and
            # let `run_read` / `run_write` retry a unit whose connection was dropped anyway.
            kwargs["pool_recycle"] = POOL_RECYCLE_SECONDS
            kwargs["pool_use_lifo"] = True  # keep a few connections warm rather than cycling all of them
        self.engine: Engine = create_engine(url, **kwargs)
        # PostgreSQL reads run on connections of their own in autocommit (see `read`): no BEGIN and
        # no ROLLBACK round trip around each, and no isolation level set and reset at each checkout.
        self._reads: Engine | None = (
            None if self.is_sqlite else create_engine(url, isolation_level="AUTOCOMMIT", **kwargs)
        )
        # SQLite serializes writers; within one process a lock keeps BEGIN IMMEDIATE transactions orderly.
        self._write_lock = threading.RLock()
        self._one_connection = url in ("sqlite://", "sqlite:///:memory:")
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_on_connect)
            if url not in ("sqlite://", "sqlite:///:memory:"):
                event.listen(self.engine, "connect", _sqlite_wal)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        _load_tables()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: BEGIN IMMEDIATE on SQLite (serialized writers), plain BEGIN on PostgreSQL."""
        if self.is_sqlite:
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit; writing through it is a bug.

        SQLite: a deferred BEGIN (never the write lock), so its statements see one snapshot. An
        in-memory database is one shared connection (StaticPool): there a read takes the write
        lock too, so a read on one thread (a channel delivery) never begins a transaction inside
        another thread's write on that connection.

        PostgreSQL: autocommit, on the read pool's connections. At READ COMMITTED, the isolation
        level Purser runs at, each statement sees a snapshot of its own whether or not a transaction
        surrounds it, so a BEGIN and a ROLLBACK (two round trips per read) bought nothing. A server
        whose default isolation is stricter keeps reads in a transaction (one snapshot for all of a
        read's statements, as that level promises)."""
        reads = self._reads
        if reads is not None:
            conn = reads.connect()
            if conn.dialect.default_isolation_level == "READ COMMITTED":
                with conn:
                    yield conn
                return
            conn.close()
            self._reads = None
            reads.dispose()
        with self._write_lock if self._one_connection else nullcontext(), self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(**{_READ: True})
            yield conn

    def run_read(self, unit: Callable[[Connection], T]) -> T:
        """`unit(conn)` in a `read()` transaction, re-run on a fresh connection when the first was dropped."""
        for attempt in range(RETRIES + 1):
            try:
                with self.read() as conn:
                    return unit(conn)
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == RETRIES:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def run_write(self, unit: Callable[[Connection], T], *, retry_conflicts: bool = False) -> T:
        """`unit(conn)` in a `begin()` transaction, committed when it returns.

        When the connection turns out to be dropped before the commit was sent, nothing was written:
        the whole unit runs again on a fresh connection (once). A failure during the commit itself
        is raised, since the commit may or may not have happened. With `retry_conflicts` (only for
        units that are safe to re-run: no effect outside the transaction), a unit that PostgreSQL
        aborted as a deadlock victim or a serialization failure before its commit runs again, up to
        `CONFLICT_RETRIES` times."""
        dropped = conflicts = 0
        while True:
            committing = False
            try:
                with self._serialized(), self.engine.connect() as conn:
                    trans = conn.begin()
                    result = unit(conn)
                    committing = True
                    trans.commit()
                    return result
            except DBAPIError as exc:
                if committing:
                    raise
                if exc.connection_invalidated and dropped < RETRIES:
                    dropped += 1
                    continue
                if retry_conflicts and _is_conflict(exc) and conflicts < CONFLICT_RETRIES:
                    conflicts += 1
                    time.sleep(random.uniform(0, 0.01 * conflicts))  # float-ok: seconds of jitter
                    continue
                raise

    @contextmanager
    def _serialized(self) -> Iterator[None]:
        if self.is_sqlite:
            with self._write_lock:
                yield
        else:
            yield

    def create_all(self) -> None:
        """Create every table directly (throw-away databases only)."""
        metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every table (tests)."""
        metadata.drop_all(self.engine)

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self._reads is not None:
            self._reads.dispose()


def _is_conflict(exc: DBAPIError) -> bool:
    # psycopg exposes the SQLSTATE as `sqlstate`; other drivers as `pgcode`.
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in _CONFLICT_STATES


def alembic_config(url: str) -> Any:
    """The Alembic configuration bound to `url`, with the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling is off).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_wal(dbapi_conn: Any, _record: Any) -> None:
    # Readers no longer block the writer (and vice versa); writers stay serialized by BEGIN IMMEDIATE.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN: two processes can never both read-then-write a cap.
    # A `read()` defers it: a reader sees a consistent snapshot and never waits for the write lock.
    # Sent on the driver connection directly: this runs for every transaction, and SQLAlchemy's
    # statement machinery would cost more than SQLite's BEGIN itself.
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("BEGIN" if conn.get_execution_options().get(_READ) else "BEGIN IMMEDIATE")
