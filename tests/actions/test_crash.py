"""Crash injection: a crash between reservation, execution and the audit record never moves money
twice, never moves money without a record, and never leaves a reservation blocking forever."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.actions.conftest import customer, make_env, world

from purser.actions import ledger
from purser.actions.gateway import Gateway, Scope
from purser.audit.log import AuditLog
from purser.domain import CustomerId
from purser.money import Money
from purser.policy.schema import Policy
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database
from purser.store.gateway_tables import gw_actions, gw_confirmations, gw_ledger


class Crash(BaseException):
    """Simulates the process dying (not an Exception: nothing may catch it)."""


class CrashingProcessor:
    """Delegates to the sandbox; crashes before or after the money-moving call."""

    def __init__(self, inner: SandboxProcessor, when: str, on: str = "refund") -> None:
        self.inner, self.when, self.on = inner, when, on

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if name != self.on:
            return target

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if self.when == "before":
                raise Crash("killed before the processor call")
            target(*args, **kwargs)
            if self.when == "exit":
                os._exit(17)
            raise Crash("killed after the processor call")

        return wrapped


class CrashingAudit(AuditLog):
    """Dies while writing the result record."""

    def append(self, kind: str, **kwargs: Any) -> Any:  # type: ignore[override]
        if kind == "result" and kwargs.get("data", {}).get("status") == "succeeded":
            raise Crash("killed while auditing the result")
        return super().append(kind, **kwargs)


def _restart_and_recover(db: Database) -> list[Any]:
    processor = SandboxProcessor(db)
    gateway = Gateway(db, processor, Policy(), AuditLog(db))
    return gateway.recover(stale_after=timedelta(0))


def _ledger(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(gw_ledger)).all())


@pytest.mark.parametrize("when", ["before", "after"])
def test_crash_around_refund_execution(when: str) -> None:
    env = make_env(world(customer("bob")))
    crashing = Gateway(env.db, CrashingProcessor(env.processor, when), env.gateway.policy, env.audit)  # type: ignore[arg-type]
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = crashing.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})
    with pytest.raises(Crash):
        crashing.confirm(scope, prop.action_id, "yes")
    [entry] = _ledger(env.db)
    assert entry.state == "reserved"
    moved = env.processor.snapshot(scope.customer_id).refunds
    assert len(moved) == (1 if when == "after" else 0)
    # While reserved, the reservation counts: a second refund is over the count.
    second = env.gateway.propose(
        Scope("conv_2", CustomerId("bob"), "web", "x"),
        "refund",
        {"charge_id": "ch_bob_11", "amount": "1.00", "reason": None},
    )
    assert second.reason == "count"
    [outcome] = _restart_and_recover(env.db)
    assert outcome.status == "succeeded", outcome
    refunds = env.processor.snapshot(scope.customer_id).refunds
    assert [r.amount.amount_str() for r in refunds] == ["5.00"]
    [entry] = _ledger(env.db)
    assert entry.state == "executed" and entry.refund_id == refunds[0].id
    kinds = [r.kind for r in env.audit.records(action_id=prop.action_id)]
    assert "execution" in kinds and kinds[-1] == "result"
    assert env.audit.verify().ok
    assert _restart_and_recover(env.db) == []
    assert len(env.processor.snapshot(scope.customer_id).refunds) == 1


def test_crash_while_writing_the_audit_record() -> None:
    env = make_env(world(customer("bob")))
    gateway = Gateway(env.db, env.processor, env.gateway.policy, CrashingAudit(env.db))
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": None, "reason": None})
    with pytest.raises(Crash):
        gateway.confirm(scope, prop.action_id, "yes")
    with env.db.read() as conn:
        status = conn.execute(select(gw_actions.c.status).where(gw_actions.c.id == prop.action_id)).scalar_one()
    assert status == "executing"  # the result record and the status commit together
    [outcome] = _restart_and_recover(env.db)
    assert outcome.status == "succeeded"
    assert len(env.processor.snapshot(scope.customer_id).refunds) == 1
    assert env.audit.verify().ok


def test_crash_around_plan_change() -> None:
    env = make_env(world(customer("bob")))
    crashing = Gateway(
        env.db,
        CrashingProcessor(env.processor, "after", on="change_subscription"),  # type: ignore[arg-type]
        env.gateway.policy,
        env.audit,
    )
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = crashing.propose(scope, "change_plan", {"plan": "business"})
    with pytest.raises(Crash):
        crashing.confirm(scope, prop.action_id, "yes")
    [outcome] = _restart_and_recover(env.db)
    assert outcome.status == "succeeded", outcome
    charges = [c for c in env.processor.snapshot(scope.customer_id).charges if c.amount == Money.parse("15.00", "usd")]
    assert len(charges) == 1


def test_failed_refund_releases_the_reservation() -> None:
    env = make_env(world(customer("bob")))
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})
    env.processor.refund(
        env.processor.snapshot(scope.customer_id).charges[0].id,
        Money.parse("20.00", "usd"),
        reason=None,
        metadata={},
        idempotency_key="outside-full",
    )
    out = env.gateway.confirm(scope, prop.action_id, "yes")
    assert out.status == "refused"  # re-quote: nothing left on the charge
    assert _ledger(env.db) == []


def _killed_child(url: str, action_id: str) -> None:
    db = Database(url)
    inner = SandboxProcessor(db)
    gateway = Gateway(db, CrashingProcessor(inner, "exit"), Policy(), AuditLog(db))  # type: ignore[arg-type]
    gateway.confirm(Scope("conv_1", CustomerId("bob"), "web", "offline"), action_id, "yes")


def test_process_killed_after_the_processor_call(tmp_path: Path, spawn_path: None) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    env = make_env(world(customer("bob")), url=url)
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "7.00", "reason": None})
    child = multiprocessing.get_context("spawn").Process(target=_killed_child, args=(url, prop.action_id))
    child.start()
    child.join(120)
    assert child.exitcode == 17
    assert len(env.processor.snapshot(scope.customer_id).refunds) == 1
    [entry] = _ledger(env.db)
    assert entry.state == "reserved"  # money moved, and the record of it was written before
    [outcome] = _restart_and_recover(env.db)
    assert outcome.status == "succeeded"
    assert [r.amount.amount_str() for r in env.processor.snapshot(scope.customer_id).refunds] == ["7.00"]
    assert _ledger(env.db)[0].state == "executed"
    assert env.audit.verify().ok
    env.db.dispose()


def test_a_crash_before_the_answer_commits_leaves_the_action_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    # The "yes" commits with the reservation and `executing`: dying in between records neither.
    env = make_env(world(customer("bob")))
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})

    def killed(*args: Any, **kwargs: Any) -> None:
        raise Crash("killed while reserving")

    monkeypatch.setattr(ledger, "reserve", killed)
    with pytest.raises(Crash):
        env.gateway.confirm(scope, prop.action_id, "yes")
    monkeypatch.undo()
    with env.db.read() as conn:
        status = conn.execute(select(gw_actions.c.status).where(gw_actions.c.id == prop.action_id)).scalar_one()
        answers = conn.execute(select(gw_confirmations)).all()
    assert status == "needs_confirmation" and answers == [] and _ledger(env.db) == []
    assert [r.kind for r in env.audit.records(action_id=prop.action_id)] == ["proposal", "guard_decision"]
    assert _restart_and_recover(env.db) == []  # nothing to settle: the customer can still answer
    out = env.gateway.confirm(scope, prop.action_id, "yes")
    assert out.status == "succeeded", out
    kinds = [r.kind for r in env.audit.records(action_id=prop.action_id)]
    assert kinds == ["proposal", "guard_decision", "confirmation", "execution", "result"]
    assert len(env.processor.snapshot(scope.customer_id).refunds) == 1
    assert env.audit.verify().ok
