"""Self-healing: an action interrupted after the processor moved the money is settled by the recovery job,
once, with its reservation released in the same transaction as its result, and the customer is told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from purser.agent.events import ConfirmationRequest, CustomerConfirm, CustomerMessage
from purser.agent.recovery import RECOVER_KIND, recover_and_tell, register_recovery, schedule_recovery
from purser.app import Container, build, build_jobs, read_state
from purser.config import Settings
from purser.worlds.seed import seed


class Died(RuntimeError):
    """The process died right after the processor answered (nothing after it ran)."""


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    c = build(Settings(database_url=f"sqlite:///{tmp_path / 'purser.db'}"))
    seed(c.processor)
    yield c
    c.close()


def _interrupted_refund(container: Container) -> tuple[str, str]:
    """A confirmed refund whose processor call happened but whose outcome was never recorded."""
    runtime, processor = container.runtime, container.gateway.processor
    cid = runtime.start("cus_ana")
    card = next(
        e
        for e in runtime.handle(cid, CustomerMessage(text="please refund my last charge"))
        if isinstance(e, ConfirmationRequest)
    )
    real = processor.refund

    def refund_then_die(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Died("killed after the processor call")

    processor.refund = refund_then_die  # type: ignore[method-assign]
    try:
        with pytest.raises(Died):
            runtime.handle(cid, CustomerConfirm(action_id=card.action_id, decision="yes"))
    finally:
        processor.refund = real  # type: ignore[method-assign]
    return cid, card.action_id


def test_an_interrupted_refund_is_settled_once_and_the_customer_told(container: Container) -> None:
    before = len(read_state(container.db).refunds)
    cid, action_id = _interrupted_refund(container)
    assert len(read_state(container.db).refunds) == before + 1  # the money moved
    outcomes = recover_and_tell(container.gateway, container.runtime, stale_after=timedelta(0))
    assert [(o.action_id, o.status) for o in outcomes] == [(action_id, "succeeded")]
    assert len(read_state(container.db).refunds) == before + 1  # not a second time
    assert recover_and_tell(container.gateway, container.runtime, stale_after=timedelta(0)) == []
    told = [e.event for e in container.runtime.transcript(cid) if e.event.get("type") == "action_result"]
    assert told[-1]["status"] == "succeeded" and "interrupted earlier" in told[-1]["summary"]
    kinds = [r.kind for r in container.audit.records(action_id=action_id)]
    assert kinds.count("result") == 1
    assert container.audit.verify().ok


def test_the_recovery_job_runs_each_slot_once_and_schedules_the_next(container: Container) -> None:
    queue, _ = build_jobs(container.settings, container.db, memory=True)
    register_recovery(queue, container.gateway, container.runtime, stale_after=timedelta(0))
    now = datetime.now(UTC) + timedelta(hours=1)  # a slot nobody seeded yet (build() seeds the next one)
    assert schedule_recovery(queue, now=now) is True
    assert schedule_recovery(queue, now=now) is False  # one job per slot, whoever seeds it
    _, action_id = _interrupted_refund(container)
    ran = queue.run_due(now=now + timedelta(minutes=1))
    assert ran >= 1
    statuses = {r.kind: r.status for r in queue.records(limit=20) if r.kind == RECOVER_KIND and r.status == "done"}
    assert statuses
    with container.gateway.uow.read() as uow:
        row = uow.actions.get(action_id)
    assert row is not None and row.status == "succeeded"
    pending = [r for r in queue.records(status="queued", limit=500) if r.kind == RECOVER_KIND]
    assert pending  # the chain goes on
