"""Reconciliation over every customer, page by page: 220 customers (more than two pages), history
imported with the world, refunds made through the gateway past the first page: no false alarm, and
real drift (a refund made at the processor behind Purser's back) found. A fresh demo reconciles."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.actions.conftest import NOW, customer, world
from tests.audit.conftest import refunds
from typer.testing import CliRunner

from purser.audit.imported import record_world_load
from purser.audit.log import AuditLog
from purser.audit.reconcile import event_refunds, every_customer, reconcile
from purser.domain import ChargeId, CustomerId
from purser.money import Money
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.worlds import parse_world
from purser.worlds.loader import load_world

COUNT = 220


def _names() -> list[str]:
    return [f"c{i:03d}" for i in range(COUNT)]


def _world() -> dict[str, object]:
    people = []
    for i, name in enumerate(_names()):
        entry = customer(name, months=2)
        if i % 10 == 7:  # history from before Purser: a partial refund already made
            entry["refunds"] = [{"id": f"re_old_{name}", "charge": f"ch_{name}_10", "amount": "2.50",
                                 "created": "2026-10-05T00:00:00Z"}]  # fmt: skip
        people.append(entry)
    return world(*people)


@pytest.fixture(scope="module")
def loaded() -> tuple[Database, SandboxProcessor, AuditLog]:
    db = Database("sqlite://")
    db.create_all()
    processor = SandboxProcessor(db)
    load_world(processor, parse_world(_world(), source="test"), NOW)
    log = AuditLog(db)
    assert record_world_load(log, processor, "test world") == COUNT // 10
    refunds(db, processor, log, ["c005", "c150", "c219"])  # on the first, second and third page
    return db, processor, log


def test_every_customer_is_read_page_by_page(loaded: tuple[Database, SandboxProcessor, AuditLog]) -> None:
    _db, processor, _log = loaded
    seen = [c.id for c in every_customer(processor, page_size=100)]
    assert seen == _names() and len(processor.list_customers(limit=100)) == 100
    assert [c.id for c in processor.list_customers(limit=3, after=CustomerId("c217"))] == ["c218", "c219"]


def test_220_customers_reconcile_with_no_false_alarm_and_drift_is_found(
    loaded: tuple[Database, SandboxProcessor, AuditLog],
) -> None:
    db, processor, log = loaded
    clean = reconcile(log, processor, db=db)
    assert clean.drift == [] and clean.matched == COUNT // 10 + 3
    behind = processor.refund(
        ChargeId("ch_c208_11"), Money(700, "usd"), reason=None, metadata={}, idempotency_key="dashboard-c208"
    )
    report = reconcile(log, processor, db=db)
    assert [(d.kind, d.refund_id) for d in report.drift] == [("present_but_unrecorded", behind.id)]
    assert "7.00 USD" in report.drift[0].detail and "ch_c208_11" in report.drift[0].detail
    # The processor's events since a checkpoint announce the same refund.
    announced = event_refunds(processor.events(since=NOW - timedelta(days=1)), processor.name)
    assert announced[behind.id].amount == Money(700, "usd") and announced[behind.id].charge_id == "ch_c208_11"


def test_a_new_world_load_starts_the_comparison_over() -> None:
    db = Database("sqlite://")
    db.create_all()
    processor = SandboxProcessor(db)
    log = AuditLog(db)
    first = parse_world(world(customer("ann")), source="first")
    load_world(processor, first, NOW)
    record_world_load(log, processor, "first")
    refunds(db, processor, log, ["ann"])
    assert reconcile(log, processor).ok
    load_world(processor, parse_world(world(customer("bob")), source="second"), NOW, reset=True)
    # Until the reload is recorded, ann's refund (gone with the first world) looks recorded but absent...
    assert [d.kind for d in reconcile(log, processor).drift] == ["recorded_but_absent"]
    # ...the `world_loaded` record starts the comparison over.
    record_world_load(log, processor, "second")
    assert reconcile(log, processor).ok


def test_a_fresh_demo_reconciles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PURSER_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    runner = CliRunner()
    seeded = runner.invoke(app, ["sandbox", "seed"])
    assert seeded.exit_code == 0 and "1 earlier refund(s) recorded" in seeded.output, seeded.output
    assert str(tmp_path) in seeded.output  # the URL is shown (it has no password to hide)
    reconciled = runner.invoke(app, ["audit", "reconcile"])
    assert reconciled.exit_code == 0 and "1 refund(s) matched, 0 drift(s)" in reconciled.output, reconciled.output
    again = runner.invoke(app, ["sandbox", "seed"])  # a reseed replaces the world: still reconciles
    assert again.exit_code == 0
    assert runner.invoke(app, ["audit", "reconcile"]).exit_code == 0
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
