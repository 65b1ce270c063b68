"""The 0002_gateway migration creates exactly the gw_ tables of `metadata`, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from purser.store import Database, metadata
from purser.store.db import alembic_config

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


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
        assert _diff(db) == []
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


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    import psycopg

    name = f"purser_gw_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgres(fresh_pg_url: str) -> None:
    _check(fresh_pg_url)
