"""Concurrent writes: refunds never exceed a charge and one idempotency key makes one refund."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from purser.domain import ChargeId, CustomerId
from purser.money import Money
from purser.processors.errors import InvalidRequest, ProcessorError
from purser.processors.sandbox import SandboxProcessor
from purser.store import Database


@pytest.fixture(params=["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SandboxProcessor]:
    """A processor whose database several threads (connections) can use at once."""
    if request.param == "sqlite-file":
        db = Database(f"sqlite:///{tmp_path / 'c.db'}")
        db.create_all()
        yield SandboxProcessor(db)
        db.dispose()
        return
    yield SandboxProcessor(request.getfixturevalue("sbx_pg_clean"))


@pytest.fixture
def shared_world(shared: SandboxProcessor, make_world: Any) -> Any:
    w = make_world(shared)
    w.plans()
    w.customer("cus_cc")
    return shared


def _refund(processor: SandboxProcessor, key: str, minor: int) -> str:
    try:
        processor.refund(ChargeId("ch_cus_cc"), Money(minor, "usd"), reason=None, metadata={}, idempotency_key=key)
        return "ok"
    except InvalidRequest:
        return "refused"
    except ProcessorError as exc:
        return exc.code


def test_parallel_refunds_never_exceed_the_charge(shared_world: SandboxProcessor) -> None:
    processor = shared_world
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda i: _refund(processor, f"k{i}", 300), range(12)))
    assert outcomes.count("ok") == 6  # 6 × 3.00 = 18.00 of 20.00; a seventh would exceed it
    charge = processor.snapshot(CustomerId("cus_cc")).charge("ch_cus_cc")
    assert charge is not None and charge.amount_refunded == Money(1800, "usd")


def test_parallel_same_key_makes_one_refund(shared_world: SandboxProcessor) -> None:
    processor = shared_world
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: _refund(processor, "same", 500), range(8)))
    assert set(outcomes) == {"ok"}
    assert len(processor.snapshot(CustomerId("cus_cc")).refunds) == 1
