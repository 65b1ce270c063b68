"""Shared fixtures: databases on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("PURSER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _find_shared() -> Path:
    # ../shared next to the checkout; a clean clone elsewhere on this machine falls back to /work/shared.
    for candidate in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        if (candidate / "gym" / "examples").is_dir():
            return candidate
    raise RuntimeError("the shared folder (DESIGN.md, gym examples, Stripe fixtures) was not found")


# Test modules read the location from the environment at import time (conftest.py loads first).
os.environ.setdefault("PURSER_SHARED", str(_find_shared()))


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards (tests never share schema state)."""
    if not _pg_available():
        pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 (start it: .ci/run does)")
    import psycopg

    name = f"purser_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
