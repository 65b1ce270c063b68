"""Fixtures for dunning: a sandbox on SQLite with customers whose renewal is about to fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from purser.app import build_dunning
from purser.config import Settings
from purser.domain import CustomerId
from purser.dunning.service import Dunning
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database
from purser.testing.dunning import PRO, add_failing_customer

PUBLIC_URL = "https://billing.example.test"

AddCustomer = Callable[..., CustomerId]


@pytest.fixture
def db() -> Iterator[Database]:
    """An empty in-memory SQLite store with every table."""
    database = Database("sqlite://")
    database.create_all()
    yield database
    database.dispose()


@pytest.fixture
def processor(db: Database) -> SandboxProcessor:
    """The sandbox over `db`, with the $50.00 Pro plan and the clock before the 1 December renewals."""
    sandbox = SandboxProcessor(db)
    with sandbox.bulk_import() as imp:
        imp.create_plan(PRO)
        imp.set_clock(datetime(2026, 11, 20, tzinfo=UTC))
    return sandbox


@pytest.fixture
def settings() -> Settings:
    """Settings with a fixed public URL and link secret."""
    return Settings(public_url=PUBLIC_URL, link_secret="test-link-secret")


@pytest.fixture
def dunning(settings: Settings, db: Database, processor: SandboxProcessor) -> Dunning:
    """The dunning service as the bootstrap wires it."""
    return build_dunning(settings, db, processor)


@pytest.fixture
def add(processor: SandboxProcessor) -> AddCustomer:
    """`add("cus_a", behavior=..., country=...)`: a customer whose card (declining by default) is charged
    at the 1 December 2026 15:00 UTC renewal (`purser.testing.dunning.add_failing_customer`)."""

    def add_one(cid: str, **options: Any) -> CustomerId:
        with processor.bulk_import() as imp:
            return add_failing_customer(imp, cid, **options)

    return add_one
