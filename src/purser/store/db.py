"""One `Database`: an engine plus the shared `metadata` every table module registers on.

Table modules (`store/sandbox_tables.py`, `store/gateway_tables.py`, `store/agent_tables.py`, ...)
import `metadata` from here. Persistent databases are created by Alembic migrations
(`Database.migrate()`); throw-away worlds (gym trials, tests) may use `create_all()`,
and a test checks that the migrations produce exactly `metadata`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.pool import StaticPool

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

    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = StaticPool
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        # SQLite serializes writers; within one process a lock keeps BEGIN IMMEDIATE transactions orderly.
        self._write_lock = threading.RLock()
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
        """A read-only connection."""
        with self.engine.connect() as conn:
            yield conn

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
    conn.exec_driver_sql("BEGIN IMMEDIATE")
