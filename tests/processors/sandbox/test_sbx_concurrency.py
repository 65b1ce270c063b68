"""Concurrency: refunds never exceed a charge, one idempotency key makes one refund, reads never wait for
the write lock, and a dropped PostgreSQL connection costs a retry, not an error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

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


def test_reads_do_not_wait_for_the_write_lock(tmp_path: Path, make_world: Any) -> None:
    """On SQLite a read is a deferred BEGIN: a snapshot completes while a write transaction is open."""
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    db.create_all()
    processor = SandboxProcessor(db)
    make_world(processor).plans()
    make_world(processor).customer("cus_rd")
    done = threading.Event()
    with db.begin() as conn:
        conn.execute(text("UPDATE sbx_customers SET name = 'Writing' WHERE id = 'cus_rd'"))
        reader = threading.Thread(target=lambda: (processor.snapshot(CustomerId("cus_rd")), done.set()))
        reader.start()
        reader.join(timeout=10)
        assert done.is_set(), "the snapshot waited for the write transaction"
    db.dispose()


def _drop_connections(url: str) -> int:
    """Terminate every server connection to the database of `url` (a restart, as the pool sees it)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as admin:
        found = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchone()
    return int(found[0]) if found else 0


@pytest.mark.postgres
def test_dropped_connections_are_retried_once(sbx_pg_clean: Database, make_world: Any) -> None:
    """No pre-ping: a read, and a write that had not committed, run again on a fresh connection."""
    processor = SandboxProcessor(sbx_pg_clean)
    make_world(processor).plans()
    make_world(processor).customer("cus_dr")
    assert processor.snapshot(CustomerId("cus_dr")).customer.id == "cus_dr"
    assert _drop_connections(sbx_pg_clean.url) >= 1
    assert processor.snapshot(CustomerId("cus_dr")).customer.id == "cus_dr"
    _drop_connections(sbx_pg_clean.url)
    processor.refund(ChargeId("ch_cus_dr"), Money(100, "usd"), reason=None, metadata={}, idempotency_key="dr")
    snap = processor.snapshot(CustomerId("cus_dr"))
    assert len(snap.refunds) == 1
    assert snap.charge("ch_cus_dr").amount_refunded == Money(100, "usd")  # type: ignore[union-attr]
