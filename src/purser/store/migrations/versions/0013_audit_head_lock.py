"""PostgreSQL: `gw_audit_lock_head(name)`, the audit chain's lock and head in one statement.

Appending to the chain takes a named advisory lock, then reads the head: two statements, two round
trips, with the lock held across the second. At READ COMMITTED a single statement cannot do both,
since its snapshot is taken before it waits for the lock (it could read a head another appender
moved while it waited). A VOLATILE function takes a fresh snapshot for each statement it runs, so
the head it reads after the lock includes every append committed before the lock was granted.
SQLite needs nothing: its writers are serialized by BEGIN IMMEDIATE.

Revision ID: 0013_audit_head_lock
Revises: 0012_inbox
"""

from __future__ import annotations

from alembic import op

# The definition as of this revision (a later change of the function is a new revision); the same
# text as `purser.store.gateway_tables.AUDIT_LOCK_HEAD_DDL`, which `create_all` uses.
CREATE_LOCK_HEAD = """
CREATE OR REPLACE FUNCTION gw_audit_lock_head(lock_name TEXT, OUT head_seq INTEGER, OUT head_hash VARCHAR)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(lock_name, 0));
    SELECT l.seq, l.hash INTO head_seq, head_hash FROM gw_audit_log AS l ORDER BY l.seq DESC LIMIT 1;
END
$$
"""
DROP_LOCK_HEAD = "DROP FUNCTION IF EXISTS gw_audit_lock_head(TEXT)"

revision = "0013_audit_head_lock"
down_revision = "0012_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the function (PostgreSQL only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE_LOCK_HEAD)


def downgrade() -> None:
    """Drop the function (PostgreSQL only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_LOCK_HEAD)
