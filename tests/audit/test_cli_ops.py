"""`purser audit recover` and `purser audit reconcile` on a migrated database."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.actions.conftest import NOW, customer, world
from tests.actions.test_crash import Crash, CrashingProcessor
from typer.testing import CliRunner

from purser.actions.gateway import Gateway, Scope
from purser.audit.log import AuditLog
from purser.domain import CustomerId
from purser.policy.schema import Policy
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.worlds import parse_world
from purser.worlds.loader import load_world


def test_recover_then_reconcile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    url = f"sqlite:///{tmp_path / 'ops.db'}"
    monkeypatch.setenv("PURSER_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    db = Database(url)
    db.migrate()
    processor = SandboxProcessor(db)
    load_world(processor, parse_world(world(customer("bob")), source="test"), NOW)
    gateway = Gateway(db, CrashingProcessor(processor, "after"), Policy(), AuditLog(db))  # type: ignore[arg-type]
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "4.00", "reason": None})
    with pytest.raises(Crash):
        gateway.confirm(scope, prop.action_id, "yes")
    runner = CliRunner()
    drifted = runner.invoke(app, ["audit", "reconcile"])
    assert drifted.exit_code == 1, drifted.output  # money moved, result not yet recorded
    recovered = runner.invoke(app, ["audit", "recover", "--stale-minutes", "0"])
    assert recovered.exit_code == 0 and "succeeded" in recovered.output, recovered.output
    clean = runner.invoke(app, ["audit", "reconcile"])
    assert clean.exit_code == 0 and "1 refund(s) matched" in clean.output, clean.output
    assert len(processor.snapshot(CustomerId("bob")).refunds) == 1
    db.dispose()
