"""`alembic upgrade head` on a fresh database produces exactly `metadata`: every table, column, type,
nullability, index, unique constraint and foreign key, on SQLite and on PostgreSQL.

The comparison is Alembic's own autogenerate (`compare_metadata`): whatever a new revision would
have to contain to reach `metadata` must be empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from purser.store import Database, metadata
from purser.store.db import alembic_config


def _differences(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _check_head(url: str) -> None:
    db = Database(url)  # importing the store registers every table module on `metadata`
    try:
        config = alembic_config(url)
        command.upgrade(config, "head")
        assert _differences(db) == []
        tables = set(inspect(db.engine).get_table_names())
        assert set(metadata.tables) <= tables, "a table of `metadata` has no migration"
        assert tables - set(metadata.tables) == {"alembic_version"}, "a migration creates a table `metadata` lacks"
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        assert current == ScriptDirectory.from_config(config).get_current_head()
    finally:
        db.dispose()


def test_the_revisions_are_one_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, "two revisions share a down_revision: chain them"
    revisions = list(script.walk_revisions())
    assert revisions[-1].down_revision is None
    assert all(len(r._all_down_revisions) <= 1 for r in revisions), "no merge revisions in a single chain"


def test_head_is_metadata_on_sqlite(tmp_path: Path) -> None:
    _check_head(f"sqlite:///{tmp_path / 'head.db'}")


@pytest.mark.postgres
def test_head_is_metadata_on_postgres(pg_url: str) -> None:
    _check_head(pg_url)
