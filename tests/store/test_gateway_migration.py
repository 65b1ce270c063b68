"""The 0002_gateway migration creates the gw_ tables; with the later migrations (0011 adds the audit chain's
key scheme) they are exactly those of `metadata`, on SQLite and PostgreSQL; downgrading removes them."""

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


def _gw_only(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", "")
    return bool(table_name and str(table_name).startswith("gw_"))


def _diff(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _gw_only, "compare_type": True})
        return list(compare_metadata(context, metadata))


def _check(url: str) -> None:
    db = Database(url)
    try:
        command.upgrade(alembic_config(url), "0002_gateway")
        added_later = {("add_column", "gw_audit_log", "scheme")}
        assert {(d[0], d[2], d[3].name) for d in _diff(db)} <= added_later
        names = set(inspect(db.engine).get_table_names())
        assert {t.name for t in metadata.sorted_tables if t.name.startswith("gw_")} <= names
        command.upgrade(alembic_config(url), "head")
        assert _diff(db) == []
        command.downgrade(alembic_config(url), "0001_sandbox")
        assert not [n for n in inspect(db.engine).get_table_names() if n.startswith("gw_")]
    finally:
        db.dispose()


def test_sqlite(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'mig.db'}")


@pytest.mark.postgres
def test_postgres(pg_url: str) -> None:
    _check(pg_url)
