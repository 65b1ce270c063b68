"""Reconciliation finds drift both ways: a refund made behind Purser's back, and a recorded refund that vanished."""

from __future__ import annotations

import os
from pathlib import Path

from purser.actions.gateway import Gateway
from purser.actions.outcome import Scope
from purser.audit.log import AuditLog
from purser.audit.reconcile import reconcile
from purser.domain import ChargeId, CustomerId
from purser.money import Money
from purser.policy import Policy
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.worlds.loader import load_world
from purser.worlds.schema import load_scenario_world

EXAMPLE = Path(os.environ["PURSER_SHARED"]) / "gym" / "examples" / "duplicate-charge-refund.yaml"


def test_drift_both_ways() -> None:
    db = Database("sqlite://")
    db.create_all()
    processor = SandboxProcessor(db)
    world, now = load_scenario_world(EXAMPLE)
    load_world(processor, world, now)
    log = AuditLog(db)
    gateway = Gateway(db, processor, Policy(), log)
    scope = Scope("conv_1", CustomerId("cus_ana"), "test", "test")

    proposed = gateway.propose(scope, "refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"})
    assert proposed.status == "needs_confirmation", proposed
    done = gateway.confirm(scope, proposed.action_id, "yes")
    assert done.status == "succeeded", done

    clean = reconcile(log, processor, customers=["cus_ana"])
    assert clean.ok and clean.matched == 1

    # A refund made directly on the processor, behind Purser's back.
    behind = processor.refund(
        ChargeId("ch_ana_10"), Money(500, "usd"), reason=None, metadata={}, idempotency_key="dashboard-1"
    )
    report = reconcile(log, processor, customers=["cus_ana"])
    assert [(d.kind, d.refund_id) for d in report.drift] == [("present_but_unrecorded", behind.id)]
    assert "5.00 USD" in report.drift[0].detail and "ch_ana_10" in report.drift[0].detail

    # A processor that never saw the audited refund (another account): recorded but absent.
    other = SandboxProcessor(Database("sqlite://"))
    other.db.create_all()
    load_world(other, world, now)
    missing = reconcile(log, other, customers=["cus_ana"])
    assert [d.kind for d in missing.drift] == ["recorded_but_absent"]
    assert not missing.ok
