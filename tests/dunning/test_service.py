"""The dunning service on the sandbox: one case per invoice whatever the events do, one outreach per
step, retries by decline reason, the final step, and closing on payment or cancellation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from purser.domain import CustomerId, PaymentBehavior
from purser.dunning.cases import CaseStatus, RecoveredBy, StepAction
from purser.dunning.clock import advance
from purser.dunning.service import Dunning
from purser.processors.sandbox import SandboxProcessor
from purser.store import sandbox_tables

RENEWAL = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
Add = Callable[..., CustomerId]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def emails(processor: SandboxProcessor, cid: str, kind: str = "dunning") -> list[str]:
    return [e.subject for e in processor.emails(CustomerId(cid)) if e.kind == kind]


def test_a_failed_renewal_opens_one_case_and_sends_one_outreach(
    processor: SandboxProcessor, dunning: Dunning, add: Add
) -> None:
    add("cus_a")
    advance(processor, dunning, at("2026-12-02T00:00:00"))
    [case] = dunning.repo.cases()
    assert case.status is CaseStatus.OPEN and case.opened_at == RENEWAL
    assert case.amount.format() == "$50.00" and case.card == "Visa ending 4242"
    assert case.decline_reason == "card_declined"
    assert emails(processor, "cus_a") == ["Your payment of $50.00 did not go through"]
    # Replaying every event, in reverse order, and ticking again changes nothing.
    for event in reversed(processor.events()):
        dunning.on_event(event)
    dunning.sync()
    dunning.tick()
    assert len(dunning.repo.cases()) == 1
    assert len(emails(processor, "cus_a")) == 1


def test_the_cadence_runs_each_step_once_then_hands_off(
    processor: SandboxProcessor, dunning: Dunning, add: Add
) -> None:
    add("cus_a")
    advance(processor, dunning, at("2026-12-05T00:00:00"))
    advance(processor, dunning, at("2027-01-10T00:00:00"))
    case = dunning.repo.get(dunning.repo.cases()[0].id)
    assert case is not None and case.status is CaseStatus.LOST and case.close_reason == "final:handoff"
    assert [(r.step, r.action) for r in case.steps if r.action is StepAction.NOTIFY] == [
        (0, StepAction.NOTIFY),
        (1, StepAction.NOTIFY),
        (2, StepAction.NOTIFY),
    ]
    assert [r.outcome for r in case.steps if r.action is StepAction.RETRY] == ["declined:card_declined"] * 3
    assert len(emails(processor, "cus_a")) == 3
    assert case.done(4, StepAction.FINAL) is not None


def test_an_expired_card_is_told_but_never_retried(processor: SandboxProcessor, dunning: Dunning, add: Add) -> None:
    add("cus_x", behavior=PaymentBehavior.SUCCEEDS, exp=(2026, 11))
    advance(processor, dunning, at("2027-01-01T00:00:00"))
    case = dunning.repo.get(dunning.repo.cases()[0].id)
    assert case is not None and case.decline_reason == "expired_card"
    assert [r.outcome for r in case.steps if r.action is StepAction.RETRY] == ["skipped:expired_card"] * 3
    assert "the card has expired" in processor.emails(CustomerId("cus_x"))[0].body


def test_a_retry_that_pays_recovers_and_confirms(processor: SandboxProcessor, dunning: Dunning, add: Add) -> None:
    # A day-1 retry, before the sandbox's own automatic retry on day 3.
    steps = ({"day": 0, "notify": True}, {"day": 1, "retry": True, "notify": True}, {"day": 10, "retry": True})
    dunning.policy = type(dunning.policy).model_validate({"steps": steps})
    add("cus_a")
    advance(processor, dunning, at("2026-12-02T00:00:00"))
    # The bank lets the same card through again before the day-1 retry (no new card, so no event).
    with processor.db.begin() as conn:
        conn.execute(update(sandbox_tables.payment_methods).values(behavior=PaymentBehavior.SUCCEEDS.value))
    advance(processor, dunning, at("2026-12-03T00:00:00"))
    [case] = dunning.repo.cases()
    assert case.status is CaseStatus.RECOVERED and case.recovered_by is RecoveredBy.RETRY
    assert emails(processor, "cus_a", "dunning_recovered") == ["Payment received: $50.00"]
    # Day 1's outreach was not needed: the retry of the same step went first.
    assert len(emails(processor, "cus_a")) == 1


def test_paid_elsewhere_or_canceled_closes_the_case(processor: SandboxProcessor, dunning: Dunning, add: Add) -> None:
    add("cus_a")
    add("cus_b")
    advance(processor, dunning, at("2026-12-02T00:00:00"))
    by_customer = {c.customer_id: c for c in dunning.repo.cases()}
    processor.attach_test_card(CustomerId("cus_a"), PaymentBehavior.SUCCEEDS, idempotency_key="t:a")
    processor.retry_invoice(by_customer[CustomerId("cus_a")].invoice_id, idempotency_key="t:pay-a")
    sub_b = by_customer[CustomerId("cus_b")].subscription_id
    assert sub_b is not None
    processor.cancel(sub_b, effective="now", idempotency_key="t:cancel-b")
    dunning.sync()
    closed = {c.customer_id: c for c in dunning.repo.cases()}
    assert closed[CustomerId("cus_a")].status is CaseStatus.RECOVERED
    assert closed[CustomerId("cus_a")].recovered_by is RecoveredBy.ELSEWHERE
    assert closed[CustomerId("cus_b")].status is CaseStatus.CANCELED
    advance(processor, dunning, at("2026-12-20T00:00:00"))
    assert len(emails(processor, "cus_a")) == 1 and len(emails(processor, "cus_b")) == 1


@pytest.mark.parametrize("final", ["cancel", "uncollectible"])
def test_the_final_step_cancels_or_gives_up(
    processor: SandboxProcessor, dunning: Dunning, add: Add, final: str
) -> None:
    dunning.policy = dunning.policy.model_copy(update={"final": final})
    add("cus_a")
    advance(processor, dunning, at("2026-12-20T00:00:00"))
    [case] = dunning.repo.cases()
    snap = processor.snapshot(CustomerId("cus_a"))
    invoice = next(i for i in snap.invoices if i.id == case.invoice_id)
    if final == "cancel":
        assert case.status is CaseStatus.CANCELED and snap.subscription is not None
        assert snap.subscription.status.value == "canceled"
    else:
        assert case.status is CaseStatus.LOST and invoice.status.value == "uncollectible"


def test_a_disabled_policy_opens_nothing(processor: SandboxProcessor, dunning: Dunning, add: Add) -> None:
    dunning.policy = dunning.policy.model_copy(update={"enabled": False})
    add("cus_a")
    advance(processor, dunning, at("2026-12-10T00:00:00"))
    assert dunning.repo.cases() == [] and emails(processor, "cus_a") == []


def test_quiet_hours_hold_the_outreach_until_morning(processor: SandboxProcessor, dunning: Dunning, add: Add) -> None:
    # 15:00 UTC is midnight in Tokyo: the outreach waits for 08:00 there (23:00 UTC).
    add("cus_jp", country="JP")
    advance(processor, dunning, at("2026-12-01T22:00:00"))
    assert emails(processor, "cus_jp") == []
    advance(processor, dunning, at("2026-12-01T23:30:00"))
    [email] = [e for e in processor.emails(CustomerId("cus_jp")) if e.kind == "dunning"]
    assert email.sent_at == RENEWAL + timedelta(hours=8)


def test_a_worker_rerunning_a_step_after_a_crash_sends_nothing_twice(
    processor: SandboxProcessor, dunning: Dunning, add: Add
) -> None:
    add("cus_a")
    advance(processor, dunning, at("2026-12-01T16:00:00"))
    [case] = dunning.repo.cases()
    # A worker that died after sending but before recording: the same step runs again from scratch.
    with dunning.repo.db.begin() as conn:  # type: ignore[attr-defined]
        from sqlalchemy import delete

        from purser.store.dunning_tables import dn_steps

        conn.execute(delete(dn_steps))
    fresh = dunning.repo.get(case.id)
    assert fresh is not None and fresh.steps == ()
    dunning.run_case(replace(fresh))
    assert len(emails(processor, "cus_a")) == 1


def test_a_card_put_on_file_elsewhere_retries_at_once(processor: SandboxProcessor, dunning: Dunning, add: Add) -> None:
    add("cus_a")
    advance(processor, dunning, at("2026-12-02T00:00:00"))
    # Not through our page (the dashboard, an agent's action): the `payment_method.attached` event.
    processor.attach_test_card(CustomerId("cus_a"), PaymentBehavior.SUCCEEDS, idempotency_key="t:elsewhere")
    dunning.sync()
    [case] = dunning.repo.cases()
    assert case.status is CaseStatus.RECOVERED and case.recovered_by is RecoveredBy.CUSTOMER
    assert emails(processor, "cus_a", "dunning_recovered") == ["Payment received: $50.00"]
    # The same event again (another worker, a replay) charges nothing more.
    charges = len(processor.snapshot(CustomerId("cus_a")).charges)
    for event in processor.events():
        dunning.on_event(event)
    assert len(processor.snapshot(CustomerId("cus_a")).charges) == charges
