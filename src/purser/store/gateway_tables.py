"""The gateway's tables (prefix `gw_`): proposed actions, confirmations, approvals,
the refund ledger (reservations), lock rows, and the hash-chained audit log.

Every write that must be atomic goes through `Database.begin()`; on PostgreSQL the
gateway additionally takes `SELECT ... FOR UPDATE` on rows of `gw_locks`
(one per customer, one per UTC day, one for the audit chain head).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)

from purser.store.db import metadata
from purser.store.direct import Direct

gw_actions = Table(
    "gw_actions",
    metadata,
    Column("id", String(64), primary_key=True),  # act_<hash>
    Column("conversation_id", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("channel", String(50), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("arguments", Text, nullable=False),  # canonical JSON
    Column("kind", String(16), nullable=False),  # read | write | money | control
    Column("status", String(32), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("quote", Text, nullable=True),  # JSON
    Column("quote_hash", String(64), nullable=True),
    Column("plan", Text, nullable=True),  # JSON: executor parameters fixed at quote time
    Column("result", Text, nullable=True),  # JSON
    Column("summary", Text, nullable=False, default=""),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
Index("ix_gw_actions_conversation", gw_actions.c.conversation_id)
Index("ix_gw_actions_status", gw_actions.c.status)

gw_confirmations = Table(
    "gw_confirmations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action_id", String(64), nullable=False, unique=True),  # one decision per action
    Column("conversation_id", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("quote_hash", String(64), nullable=True),
    Column("created_at", String(40), nullable=False),
)

gw_approvals = Table(
    "gw_approvals",
    metadata,
    Column("id", String(64), primary_key=True),  # apr_<hash>
    Column("action_id", String(64), nullable=False, unique=True),
    Column("conversation_id", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("amount", String(40), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("requested_by", String(200), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | denied
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
)
Index("ix_gw_approvals_status", gw_approvals.c.status)

gw_ledger = Table(
    "gw_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action_id", String(64), nullable=False, unique=True),
    Column("conversation_id", String(200), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("charge_id", String(200), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("day", String(10), nullable=False),  # UTC day of the processor clock
    Column("created", String(40), nullable=False),  # processor clock, ISO
    Column("state", String(16), nullable=False),  # reserved | executed | released
    Column("counts", Boolean, nullable=False),  # False for exempt duplicates
    Column("approved", Boolean, nullable=False),
    Column("refund_id", String(200), nullable=True),
    Column("idempotency_key", String(100), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
Index("ix_gw_ledger_customer", gw_ledger.c.customer_id)
Index("ix_gw_ledger_day", gw_ledger.c.day)

gw_locks = Table(
    "gw_locks",
    metadata,
    Column("name", String(250), primary_key=True),  # customer:<id> | day:<YYYY-MM-DD> | audit
    Column("created_at", String(40), nullable=False),
)

gw_audit_log = Table(
    "gw_audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(250), nullable=False),
    Column("conversation_id", String(200), nullable=True),
    Column("action_id", String(64), nullable=True),
    Column("data", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("scheme", String(40), nullable=True),  # hmac-sha256:<key id>; NULL: legacy sha256 (migration 0011)
    UniqueConstraint("hash", name="uq_gw_audit_log_hash"),
)
Index("ix_gw_audit_log_at", gw_audit_log.c.at)

AUDIT_LOCK_HEAD_DDL = """
CREATE OR REPLACE FUNCTION gw_audit_lock_head(lock_name TEXT, OUT head_seq INTEGER, OUT head_hash VARCHAR)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(lock_name, 0));
    SELECT l.seq, l.hash INTO head_seq, head_hash FROM gw_audit_log AS l ORDER BY l.seq DESC LIMIT 1;
END
$$
"""
"""PostgreSQL's `gw_audit_lock_head(name)`: the named lock (the same key as `lock_rows`), then the
chain's head (NULLs when empty), in one statement (migration 0013; `create_all` runs it too). VOLATILE:
its SELECT takes a snapshot of its own after the lock is granted, so it sees every append committed
before; a single plain statement would read with the snapshot it took before waiting."""


def _create_lock_head(_table: Any, connection: Connection, **_kw: Any) -> None:
    # Throw-away PostgreSQL databases (`Database.create_all`) get the function with the table.
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(AUDIT_LOCK_HEAD_DDL)


def _drop_lock_head(_table: Any, connection: Connection, **_kw: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS gw_audit_lock_head(TEXT)")


event.listen(gw_audit_log, "after_create", _create_lock_head)
event.listen(gw_audit_log, "after_drop", _drop_lock_head)

__all__ = [
    "AUDIT_LOCK_HEAD_DDL",
    "gw_actions",
    "gw_approvals",
    "gw_audit_log",
    "gw_confirmations",
    "gw_ledger",
    "gw_locks",
    "lock_rows",
]


def lock_rows(conn: Connection, names: list[str], created_at: str) -> None:
    """Take the named locks, in sorted order, held until the transaction ends.

    On PostgreSQL each is a transaction-scoped advisory lock on the name's 64-bit hash
    (`pg_advisory_xact_lock(hashtextextended(name, 0))`), all of them in one statement (one round
    trip): the names go as one array, locked row by row in the array's (sorted) order. Unlike a
    `SELECT ... FOR UPDATE` on a `gw_locks` row it writes nothing to the table or the WAL. Two names
    sharing a hash would only wait for each other, never skip a lock. On SQLite every write
    transaction starts with BEGIN IMMEDIATE (`purser.store.db`), which already holds the database's
    single write lock: nothing to do. `created_at` is kept for callers; the `gw_locks` table stays for
    databases migrated before.
    """
    del created_at
    if conn.dialect.name == "sqlite" or not names:
        return
    ordered = sorted(set(names))
    if len(ordered) == 1:
        _LOCK_ONE.rows(conn, {"name": ordered[0]})
    else:
        _LOCK_MANY.rows(conn, {"names": ordered})


def lock_key(name: str) -> str:
    """The SQL expression of a named lock's advisory key (`name` a SQL expression of the name):
    every statement that takes a named lock computes it the same way, so they exclude each other."""
    return f"hashtextextended({name}, 0)"


# Run on the transaction's DBAPI cursor (`direct.py`): a turn that proposes takes the audit chain's
# lock, a refund's confirmation the customer's and the day's. `hashtextextended` is PostgreSQL 11+.
# The array's rows come out of `unnest` in order (WITH ORDINALITY says so), so the locks are taken
# in sorted order: two transactions locking overlapping names can never wait for each other in a cycle.
_LOCK_ONE = Direct(text(f"SELECT pg_advisory_xact_lock({lock_key(':name')})"))
_LOCK_MANY = Direct(
    text(
        f"SELECT pg_advisory_xact_lock({lock_key('t.name')}) "
        "FROM unnest(CAST(:names AS TEXT[])) WITH ORDINALITY AS t(name, n) ORDER BY t.n"
    )
)
