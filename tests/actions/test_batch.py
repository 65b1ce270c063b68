"""Buffered proposals: a turn's `TurnBatch`, applied in one transaction, leaves exactly the rows
and the audit chain that proposing one by one leaves (two fresh databases, compared)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.actions.conftest import NOW, Env, customer, make_env, world
from typer.testing import CliRunner

from purser.actions.gateway import Outcome, Scope
from purser.domain import CustomerId
from purser.ports.unit_of_work import TurnBatch
from purser.store.db import Database
from purser.store.gateway_tables import gw_actions
from purser.worlds import parse_world
from purser.worlds.loader import load_world

TIMES = ("created_at", "updated_at")

Step = tuple[str, str, dict[str, Any]]
"""(customer, action, arguments) of one proposal."""

TURN_ONE: list[Step] = [
    ("bob", "lookup_account", {}),
    ("bob", "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None}),
    ("bob", "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None}),  # reuses the open one
    ("bob", "nope", {}),
    ("bob", "refund", {"charge_id": "ch_bob_11", "amount": "5.00"}),  # reason omitted: another row, same quote
    ("bob", "change_plan", {"plan": "platinum"}),  # failed: unknown plan
    ("bob", "cancel", {"reason": "too expensive"}),  # refused: the save offer
    ("bob", "cancel", {"reason": "too expensive"}),  # proceeds: sees the first one in the batch
    ("bob", "send_invoice", {"invoice": "in_bob_11", "kind": "receipt", "extra": 1}),  # invalid
]
TURN_TWO: list[Step] = [
    ("bob", "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None}),  # reuses a stored row
    ("bob", "handoff", {"reason": "human_request", "summary": "wants a person"}),
]


def _world(tmp_path: Path, name: str, url: str | None = None) -> Env:
    # Migrated (not create_all): `purser audit verify` opens the database as the CLI does.
    url = url or f"sqlite:///{tmp_path / name}"
    Database(url).migrate()
    env = make_env({}, url=url, load=False)
    load_world(env.processor, parse_world(world(customer("bob")), source="test"), NOW)
    return env


def _run(env: Env, steps: list[Step], buffered: bool) -> list[Outcome]:
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    snapshot = env.processor.snapshot(scope.customer_id)
    batch = TurnBatch() if buffered else None
    before = (_actions(env), _chain(env))
    outcomes = [env.gateway.propose(scope, action, args, snapshot=snapshot, batch=batch) for _, action, args in steps]
    if batch is not None:
        assert batch, "the turn's writes were buffered"
        assert (_actions(env), _chain(env)) == before, "nothing is written before the batch is applied"
        with env.gateway.uow.write() as uow:
            uow.apply(batch)
    return outcomes


def _actions(env: Env) -> list[dict[str, Any]]:
    with env.db.read() as conn:
        rows = conn.execute(select(gw_actions).order_by(gw_actions.c.id)).mappings().all()
    return [{k: v for k, v in row.items() if k not in TIMES} for row in rows]


def _chain(env: Env) -> list[tuple[Any, ...]]:
    return [(r.seq, r.kind, r.actor, r.conversation_id, r.action_id, r.data) for r in env.audit.records()]


def test_a_batch_writes_what_proposing_one_by_one_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, buffered = _world(tmp_path, "plain.db"), _world(tmp_path, "buffered.db")
    for steps in (TURN_ONE, TURN_TWO):
        assert _run(plain, steps, buffered=False) == _run(buffered, steps, buffered=True)
        assert _actions(plain) == _actions(buffered)
        assert _chain(plain) == _chain(buffered)
    statuses = [a["status"] for a in _actions(buffered)]
    assert {"needs_confirmation", "invalid", "refused", "escalated", "succeeded"} <= set(statuses)
    # A buffered proposal confirms like any other once the batch is applied.
    refund = next(a for a in _actions(buffered) if a["action"] == "refund" and a["status"] == "needs_confirmation")
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    assert buffered.gateway.confirm(scope, refund["id"], "yes").status == "succeeded"
    assert buffered.audit.verify().ok and plain.audit.verify().ok

    from purser.cli import app

    monkeypatch.setenv("PURSER_DATABASE_URL", f"sqlite:///{tmp_path / 'buffered.db'}")
    monkeypatch.chdir(tmp_path)
    verified = CliRunner().invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_repeated_failures_escalate_inside_the_batch(tmp_path: Path) -> None:
    plain, buffered = _world(tmp_path, "plain.db"), _world(tmp_path, "buffered.db")
    steps: list[Step] = [("bob", f"nope_{i}", {}) for i in range(3)]
    assert _run(plain, steps, buffered=False) == _run(buffered, steps, buffered=True)
    assert _actions(plain) == _actions(buffered)
    assert [a["action"] for a in _actions(buffered)].count("handoff") == 1
    assert _chain(plain) == _chain(buffered)


def test_an_unapplied_batch_writes_nothing(tmp_path: Path) -> None:
    env = _world(tmp_path, "w.db")
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    batch = TurnBatch()
    env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None}, batch=batch)
    assert len(batch) == 3 and len(batch.drafts()) == 2
    assert _actions(env) == [] and env.audit.verify().records == 0


def test_an_id_taken_meanwhile_voids_the_batch(tmp_path: Path) -> None:
    from purser.ports.actions import Conflict

    env = _world(tmp_path, "w.db")
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    batch = TurnBatch()
    args = {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None}
    first = env.gateway.propose(scope, "refund", args, batch=batch)
    env.gateway.propose(scope, "refund", {**args, "amount": "6.00"})  # another id, written at once
    assert env.gateway.propose(scope, "refund", args).action_id == first.action_id  # the same id, written first
    with pytest.raises(Conflict), env.gateway.uow.write() as uow:
        uow.apply(batch)
    assert env.audit.verify().ok and len(_actions(env)) == 2


@pytest.mark.postgres
def test_a_batch_on_postgresql_writes_what_sqlite_writes_one_by_one(tmp_path: Path, pg_url: str) -> None:
    plain, buffered = _world(tmp_path, "plain.db"), _world(tmp_path, "", url=pg_url)
    try:
        for steps in (TURN_ONE, TURN_TWO):
            assert _run(plain, steps, buffered=False) == _run(buffered, steps, buffered=True)
            assert _actions(plain) == _actions(buffered)
            assert _chain(plain) == _chain(buffered)
        assert buffered.audit.verify().ok
    finally:
        buffered.db.dispose()


def test_a_failed_turn_rolls_its_batch_back(tmp_path: Path) -> None:
    env = _world(tmp_path, "w.db")
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    batch = TurnBatch()
    env.gateway.propose(scope, "lookup_account", {}, batch=batch)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), env.gateway.uow.write() as uow:
        uow.apply(batch)
        raise Boom  # whatever else the turn writes fails: the batch goes with it
    assert _actions(env) == [] and env.audit.verify().records == 0


def test_updates_fold_into_the_batch_rows_and_overlay_stored_ones(tmp_path: Path) -> None:
    env = _world(tmp_path, "w.db")
    scope = Scope("conv_1", CustomerId("bob"), "web", "offline")
    args = {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None}
    stored = env.gateway.propose(scope, "refund", args)  # written: needs_confirmation
    batch = TurnBatch()
    fresh = env.gateway.propose(scope, "lookup_account", {}, batch=batch)
    again = env.gateway.propose(scope, "refund", args, batch=batch)  # reuses the stored row
    assert again.action_id == stored.action_id
    [new] = batch.new_actions()
    assert new.id == fresh.action_id and new.status == "succeeded"  # folded: one insert, final state
    [update] = batch.updates()
    assert update.action_id == stored.action_id and update.changes.status == "needs_confirmation"
    assert [d.kind for d in batch.drafts()] == ["proposal", "result", "proposal", "guard_decision"]
    batch.clear()
    assert not batch and batch.action(fresh.action_id) is None
