"""The guard's pure rules, over real snapshots from the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.actions.conftest import customer, make_env, world

from purser.domain import CustomerId
from purser.money import Money
from purser.policy.guard import (
    RefundUsage,
    add_months,
    change_timing,
    check_refund,
    envelope_decision,
    is_duplicate,
    one_cycle,
    pause_months_ok,
    seat_violation,
)
from purser.policy.schema import Policy

USD0 = Money.zero("usd")


def _snap(cid: str, **kw: object):  # type: ignore[no-untyped-def]
    env = make_env(world(customer(cid, **kw)))  # type: ignore[arg-type]
    return env.processor.snapshot(CustomerId(cid))


def _usage(prior: int = 0, spent: str = "0.00") -> RefundUsage:
    return RefundUsage(prior, Money.parse(spent, "usd"), USD0)


def test_refund_envelope_reasons_in_order() -> None:
    snap = _snap("bob")
    policy = Policy()
    nov, aug = snap.charge("ch_bob_11"), snap.charge("ch_bob_08")
    assert nov is not None and aug is not None
    twenty = Money.parse("20.00", "usd")
    assert check_refund(policy, snap, nov, twenty, _usage()).violations == ()
    assert check_refund(policy, snap, aug, twenty, _usage()).violations == ("window",)
    assert check_refund(policy, snap, nov, twenty, _usage(prior=1)).violations == ("count",)
    assert check_refund(policy, snap, nov, twenty, _usage(spent="490.00")).violations == ("daily_budget",)
    fixed = policy.merged({"refunds": {"max_amount": "5.00"}})
    assert check_refund(fixed, snap, nov, twenty, _usage()).violations == ("per_refund_max",)
    assert one_cycle(snap, "usd") == twenty


def test_duplicate_is_exempt_from_count_and_cap_not_budget() -> None:
    snap = _snap("ana", duplicate=True)
    policy = Policy().merged({"refunds": {"max_amount": "1.00"}})
    dup = snap.charge("ch_ana_11b")
    assert dup is not None and is_duplicate(snap, dup, {})
    twenty = Money.parse("20.00", "usd")
    check = check_refund(policy, snap, dup, twenty, _usage(prior=5))
    assert check.duplicate and check.violations == ()
    assert check_refund(policy, snap, dup, twenty, _usage(spent="490.00")).violations == ("daily_budget",)
    partial = check_refund(policy, snap, dup, Money.parse("10.00", "usd"), _usage(prior=5))
    assert not partial.duplicate and partial.violations == ("per_refund_max", "count")
    assert not is_duplicate(snap, dup, {"ch_ana_11": 2000})  # the twin is being refunded already
    off = Policy().merged({"refunds": {"duplicates_exempt": False}})
    assert not check_refund(off, snap, dup, twenty, _usage(prior=1)).duplicate


def test_envelope_decision_follows_over_limit() -> None:
    assert envelope_decision(Policy(), ()).kind == "confirm"
    assert envelope_decision(Policy(), ("window",)).kind == "approval"
    refuse = Policy().merged({"refunds": {"over_limit": "refuse"}})
    decision = envelope_decision(refuse, ("count", "daily_budget"))
    assert (decision.kind, decision.reason) == ("refuse", "count")


def test_plan_timing_and_seats() -> None:
    snap = _snap("bob")
    plans = {p.id: p for p in snap.plans}
    policy = Policy()
    assert change_timing(policy, plans["pro-monthly"], 1, plans["business-monthly"], 1) == "now_prorated"
    assert change_timing(policy, plans["pro-monthly"], 1, plans["basic-monthly"], 1) == "period_end"
    assert change_timing(policy, plans["team-monthly"], 5, plans["team-monthly"], 6) == "now_prorated"
    assert change_timing(policy, plans["team-monthly"], 5, plans["team-monthly"], 4) == "period_end"
    assert seat_violation(policy, 5, 55) is None and seat_violation(policy, 5, 56) == "max_seat_change"


def test_pause_months_and_calendar() -> None:
    policy = Policy()
    assert [pause_months_ok(policy, m) for m in (0, 1, 3, 4)] == [False, True, True, False]
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 1, tzinfo=UTC), 2) == datetime(2027, 2, 1, tzinfo=UTC)
