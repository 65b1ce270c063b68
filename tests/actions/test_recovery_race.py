"""Recovery against a call that is slow, not dead: only one of them records the outcome.

The recovery job takes an action untouched for its stale age as interrupted. A processor call that
outlasts that age (Stripe's client waits up to 80 s) is still running when the job re-executes the
action; the claim is a compare-and-set on the action row, so exactly one of the two records the
outcome, settles the refund reservation and is reported. The processor is the real sandbox; the
slow call is the sandbox's own method held on an event (in the calling thread only) and then run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from purser.actions.outcome import Outcome, Scope
from purser.actions.records import ago
from purser.agent.events import ActionResult, AgentEvent, ConfirmationRequest, CustomerConfirm, CustomerMessage
from purser.app import Container, build, read_state
from purser.config import Settings
from purser.domain import CustomerId
from purser.ports.actions import ActionChanges
from purser.worlds.seed import seed

STALE = timedelta(milliseconds=300)
"""The stale age of these tests: the held calls below last well past it."""

WAIT = 30.0  # float-ok: seconds a test waits for a thread before failing


@pytest.fixture(params=["sqlite", "postgresql"])
def container(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    url = f"sqlite:///{tmp_path / 'purser.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    c = build(Settings(database_url=url))
    seed(c.processor)
    try:
        yield c
    finally:
        c.close()


class Held:
    """The sandbox's `name` method, whose first `hold` calls wait until `release` is set, then run.

    (Counted by arrival, not by thread: the runtime calls the gateway from threads of its own.)"""

    def __init__(self, container: Container, name: str, *, hold: int = 1) -> None:
        self.processor = container.gateway.processor
        self.name = name
        self.hold = hold
        self.real: Callable[..., Any] = getattr(self.processor, name)
        self.arrived = 0
        self.release = threading.Event()
        self.calls = 0
        self.holding = 0
        self._lock = threading.Lock()

    def entered(self, count: int = 1) -> bool:
        """Wait until `count` slow threads are held."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self._lock:
                if self.holding >= count:
                    return True
            time.sleep(0.01)  # float-ok: seconds between looks
        return False

    def __enter__(self) -> Held:
        def held(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.arrived += 1
                slow = self.arrived <= self.hold
                self.holding += slow
            if slow:
                assert self.release.wait(WAIT), "the held call was never released"
            self.calls += 1
            return self.real(*args, **kwargs)

        setattr(self.processor, self.name, held)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        setattr(self.processor, self.name, self.real)


class Slowly(threading.Thread):
    """Runs `fn` in a thread (its processor call is one `held` holds); keeps its result or error."""

    def __init__(self, held: Held, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.held, self.fn = held, fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def finish(self) -> Any:
        self.held.release.set()
        self.join(WAIT)
        assert not self.is_alive(), "the slow call did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def _refund_card(container: Container) -> tuple[str, str]:
    runtime = container.runtime
    cid = runtime.start("cus_ana")
    card = next(
        e
        for e in runtime.handle(cid, CustomerMessage(text="please refund my last charge"))
        if isinstance(e, ConfirmationRequest)
    )
    return cid, card.action_id


def _confirm(container: Container, cid: str, action_id: str) -> Callable[[], list[AgentEvent]]:
    return lambda: container.runtime.handle(cid, CustomerConfirm(action_id=action_id, decision="yes"))


def _recover(container: Container) -> list[Outcome]:
    return container.gateway.recover(stale_after=STALE)


def _kinds(container: Container, action_id: str) -> list[str]:
    return [r.kind for r in container.audit.records(action_id=action_id)]


def _ledger(container: Container, action_id: str) -> list[str]:
    with container.db.read() as conn:
        rows = conn.execute(text("SELECT state FROM gw_ledger WHERE action_id = :a"), {"a": action_id})
        return [r[0] for r in rows]


def _status(container: Container, action_id: str) -> str:
    with container.gateway.uow.read() as uow:
        row = uow.actions.get(action_id)
    assert row is not None
    return row.status


def test_a_refund_slower_than_the_stale_age_is_recorded_once_by_the_recovery(container: Container) -> None:
    refunds = len(read_state(container.db).refunds)
    cid, action_id = _refund_card(container)
    with Held(container, "refund") as held:
        original = Slowly(held, _confirm(container, cid, action_id))
        original.start()
        assert held.entered()  # committed `executing`, now inside the processor call
        time.sleep(STALE.total_seconds() * 2)
        recovered = _recover(container)
        assert [(o.action_id, o.status) for o in recovered] == [(action_id, "succeeded")]
        events = original.finish()  # its own processor call answers now, with the same refund
    assert held.calls == 2  # both called the processor with the action's idempotency key ...
    assert len(read_state(container.db).refunds) == refunds + 1  # ... which refunded once
    kinds = _kinds(container, action_id)
    assert kinds.count("result") == 1  # the slow call recorded nothing
    assert kinds.count("execution") == 1 and kinds.count("recovery_claim") == 1
    assert _ledger(container, action_id) == ["executed"]
    assert _status(container, action_id) == "succeeded"
    # The slow turn answers with what was recorded, not a second outcome of its own.
    said = [e for e in events if isinstance(e, ActionResult) and e.action_id == action_id]
    assert [e.status for e in said] == ["succeeded"]
    assert _recover(container) == []
    assert container.audit.verify().ok


def test_a_call_that_answers_before_the_claim_wins_and_the_recovery_records_nothing(container: Container) -> None:
    cid, action_id = _refund_card(container)
    with Held(container, "refund") as held:
        original = Slowly(held, _confirm(container, cid, action_id))
        original.start()
        assert held.entered()
        time.sleep(STALE.total_seconds() * 2)
        with container.gateway.uow.read() as uow:  # what a recovery run read as stale ...
            (stale,) = uow.actions.stale(("executing",), "9999")
        original.finish()  # ... before the call answered and recorded its outcome
    assert container.gateway._claim(stale) is None  # the claim compares, and loses
    assert _recover(container) == []
    kinds = _kinds(container, action_id)
    assert kinds.count("result") == 1 and kinds.count("execution") == 1 and "recovery_claim" not in kinds
    assert _ledger(container, action_id) == ["executed"]


def test_a_recovery_slower_than_the_stale_age_loses_to_the_next_one(container: Container) -> None:
    refunds = len(read_state(container.db).refunds)
    cid, action_id = _refund_card(container)
    with Held(container, "refund", hold=2) as held:
        original = Slowly(held, _confirm(container, cid, action_id))
        original.start()
        assert held.entered()
        time.sleep(STALE.total_seconds() * 2)
        first = Slowly(held, lambda: _recover(container))  # held in its processor call as well
        first.start()
        assert held.entered(2)
        time.sleep(STALE.total_seconds() * 2)
        second = _recover(container)
        assert [(o.action_id, o.status) for o in second] == [(action_id, "succeeded")]
        assert first.finish() == []  # claimed again meanwhile: it records and reports nothing
        original.finish()
    assert len(read_state(container.db).refunds) == refunds + 1
    kinds = _kinds(container, action_id)
    assert kinds.count("result") == 1 and kinds.count("execution") == 1 and kinds.count("recovery_claim") == 2
    assert _ledger(container, action_id) == ["executed"]


def test_a_slow_confirmation_is_not_taken_for_interrupted(container: Container) -> None:
    # The answer commits with the reservation and `executing` (one transaction), so a confirmation
    # still re-quoting has left nothing for the recovery job: no `confirmed` row to refuse.
    refunds = len(read_state(container.db).refunds)
    cid, action_id = _refund_card(container)
    with Held(container, "snapshot") as held:  # the re-quote's read, before anything is written
        original = Slowly(held, _confirm(container, cid, action_id))
        original.start()
        assert held.entered()
        time.sleep(STALE.total_seconds() * 2)
        assert _recover(container) == []
        assert _status(container, action_id) == "needs_confirmation"
        assert "confirmation" not in _kinds(container, action_id)
        events = original.finish()
    assert len(read_state(container.db).refunds) == refunds + 1
    assert _ledger(container, action_id) == ["executed"]
    assert _status(container, action_id) == "succeeded"
    kinds = _kinds(container, action_id)
    assert kinds[kinds.index("confirmation") :] == ["confirmation", "execution", "result"]
    said = [e for e in events if isinstance(e, ActionResult) and e.action_id == action_id]
    assert [e.status for e in said] == ["succeeded"]
    assert _recover(container) == []
    assert container.audit.verify().ok


def test_a_confirmed_action_an_earlier_version_left_is_refused_as_interrupted_and_never_executes(
    container: Container,
) -> None:
    # Earlier versions committed `confirmed` before re-quoting; a crash there left such rows behind.
    refunds = len(read_state(container.db).refunds)
    cid, action_id = _refund_card(container)
    with container.gateway.uow.write() as uow:
        assert uow.actions.update(
            action_id,
            ActionChanges(status="confirmed", updated_at=ago(STALE * 10)),
            expect_status="needs_confirmation",
        )
    recovered = _recover(container)
    assert [(o.action_id, o.status, o.reason) for o in recovered] == [(action_id, "refused", "interrupted")]
    scope = Scope(cid, CustomerId("cus_ana"), "web", "customer")
    late = container.gateway.confirm(scope, action_id, "yes")  # a late answer runs nothing
    assert (late.status, late.reason) == ("refused", "already_decided")
    assert len(read_state(container.db).refunds) == refunds  # nothing was done
    assert _ledger(container, action_id) == []  # nothing reserved
    assert _status(container, action_id) == "refused"
    assert not {"execution", "recovery_claim"} & set(_kinds(container, action_id))
    assert container.audit.verify().ok
