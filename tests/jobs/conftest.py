"""Queues over a real SQLite file database, on SqliteHuey or on the local Redis (a unique queue name per test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import Huey, RedisHuey, SqliteHuey

from purser.jobs import HueyJobQueue
from purser.store.db import Database
from purser.store.jobs import JobStore

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite file database with every table."""
    database = Database(f"sqlite:///{tmp_path / 'purser.db'}")
    database.create_all()
    yield database
    database.dispose()


def redis_huey() -> Iterator[Huey]:
    """A RedisHuey under a unique name; its keys are deleted afterwards."""
    huey = RedisHuey(
        f"purser-test-{uuid.uuid4().hex[:10]}", url=REDIS_URL, results=False, blocking=True, read_timeout=1
    )
    try:
        huey.storage.conn.ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield huey
    huey.storage.flush_all()
    huey.storage.conn.close()


@pytest.fixture(params=["sqlite", "redis"])
def huey(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Huey]:
    """The embedded SqliteHuey, then Redis."""
    if request.param == "sqlite":
        yield SqliteHuey("purser", filename=str(tmp_path / "purser.jobs.db"), results=False)
        return
    yield from redis_huey()


@pytest.fixture
def queue(db: Database, huey: Huey) -> HueyJobQueue:
    """A queue on either broker over the SQLite database (short lease, no sweep grace)."""
    return HueyJobQueue(JobStore(db), huey, lease_seconds=2, sweep_grace_seconds=0)
