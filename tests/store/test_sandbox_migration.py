"""The 0001_sandbox migration creates exactly the sbx_ tables of `metadata`, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from purser.store import Database, metadata
from purser.store.db import alembic_config


def _sbx_only(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", "")
    return bool(table_name and str(table_name).startswith("sbx_"))


def _diff(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _sbx_only, "compare_type": True})
        return list(compare_metadata(context, metadata))


def _check(url: str) -> None:
    db = Database(url)
    try:
        command.upgrade(alembic_config(url), "0001_sandbox")
        assert _diff(db) == []
        names = set(inspect(db.engine).get_table_names())
        assert {t.name for t in metadata.sorted_tables if t.name.startswith("sbx_")} <= names
        command.upgrade(alembic_config(url), "head")
        assert _diff(db) == []
        command.downgrade(alembic_config(url), "base")
        assert not [n for n in inspect(db.engine).get_table_names() if n.startswith("sbx_")]
    finally:
        db.dispose()


def test_sqlite_upgrade_matches_metadata(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'fresh.db'}")


@pytest.mark.postgres
def test_postgres_upgrade_matches_metadata(pg_url: str) -> None:
    _check(pg_url)


def test_engine_runs_on_a_migrated_database(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from purser.processors.sandbox import SandboxProcessor

    db = Database(f"sqlite:///{tmp_path / 'engine.db'}")
    db.migrate()
    processor = SandboxProcessor(db)
    when = datetime(2026, 11, 16, tzinfo=UTC)
    processor.set_clock(when)
    assert processor.now() == when
    assert processor.list_customers() == []
    db.dispose()
