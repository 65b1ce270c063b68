"""`Database.read()` on PostgreSQL: autocommit at READ COMMITTED, a transaction at a stricter level."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from purser.store.db import Database

pytestmark = pytest.mark.postgres


def _now_twice(db: Database) -> tuple[object, object]:
    # now() is the start of the transaction: two statements of one transaction see the same value.
    with db.read() as conn:
        first = conn.execute(text("SELECT now()")).scalar()
        second = conn.execute(text("SELECT now()")).scalar()
    return first, second


def test_reads_run_in_autocommit_at_read_committed(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        first, second = _now_twice(db)
        assert first != second  # each statement was a transaction of its own: no BEGIN, no ROLLBACK
        with db.read() as conn:
            assert conn.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]
        # Writes still run in one transaction, on connections that are not in autocommit.
        with db.begin() as conn:
            assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
            assert conn.execute(text("SELECT now() = statement_timestamp()")).scalar() is False
    finally:
        db.dispose()


def test_reads_keep_one_snapshot_when_the_server_isolation_is_stricter(pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'")
    db = Database(pg_url)
    try:
        for _ in range(2):  # the first read finds out, the later ones go straight to a transaction
            first, second = _now_twice(db)
            assert first == second
    finally:
        db.dispose()
