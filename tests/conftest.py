"""Shared fixtures: databases on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@pytest.fixture(scope="session")
def known_texts() -> list[str]:
    """Every string of the gym scenarios, the held-out sets, the offline model's scenario sets and its
    corpus, sorted: the messages a change to how text is read must read exactly as before."""
    root = Path(__file__).resolve().parents[1]
    offline = root / "tests" / "models" / "offline"
    files = [
        *sorted((root / "tests" / "gym" / "scenarios").glob("*.yaml")),
        *sorted((root / "benchmarks").glob("gym-heldout*/*.yaml")),
        *sorted(offline.glob("*.yaml")),
        *sorted(offline.glob("scenarios*/*.yaml")),
        root / "src" / "purser" / "models" / "offline" / "corpus.yaml",
    ]
    texts: set[str] = set()
    for path in files:
        texts.update(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return sorted(texts)
