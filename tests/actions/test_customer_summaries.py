"""What a customer reads in quotes and refusals: no internal ids, what is charged today (issue 17)."""

from __future__ import annotations

from typing import Any

from tests.actions.conftest import customer, make_env, world

from purser.actions.changes import then_per_period
from purser.domain import Interval, Plan, PlanId
from purser.money import Money


def _paused(cid: str, *, period_start: str, resumes_at: str) -> dict[str, Any]:
    data = customer(cid, months=3)
    data["subscription"].update(status="paused", current_period_start=period_start, resumes_at=resumes_at)
    return data


def test_resuming_after_the_paid_period_says_what_is_charged_today_and_charges_exactly_that() -> None:
    env = make_env(world(_paused("pia", period_start="2026-09-01T00:00:00Z", resumes_at="2027-01-01T00:00:00Z")))
    scope = env.scope("pia")
    prop, done = env.propose_confirm(scope, "resume", {})
    assert prop.quote is not None and prop.quote["amount_due_now"] == "20.00", prop.quote
    assert "$20.00 today" in prop.summary, prop.summary
    assert done is not None and done.status == "succeeded", done
    charges = env.processor.snapshot(scope.customer_id).charges
    assert charges[0].amount.amount_str() == "20.00" and charges[0].created.isoformat().startswith("2026-11-16")


def test_resuming_inside_the_paid_period_charges_nothing_today() -> None:
    env = make_env(world(_paused("pia", period_start="2026-11-01T00:00:00Z", resumes_at="2027-02-01T00:00:00Z")))
    scope = env.scope("pia")
    before = len(env.processor.snapshot(scope.customer_id).charges)
    prop, done = env.propose_confirm(scope, "resume", {})
    assert prop.quote is not None and prop.quote["amount_due_now"] == "0.00", prop.quote
    assert "nothing is charged today" in prop.summary and "1 December 2026" in prop.summary, prop.summary
    assert done is not None and done.status == "succeeded", done
    assert len(env.processor.snapshot(scope.customer_id).charges) == before


def test_refusals_name_a_charge_by_amount_and_day_not_by_id() -> None:
    data = customer("rex")
    data["refunds"] = [{"id": "re_rex_1", "charge": "ch_rex_11", "amount": "20.00", "created": "2026-11-02T00:00:00Z"}]
    env = make_env(world(data))
    out = env.gateway.propose(env.scope("rex"), "refund", {"charge_id": "ch_rex_11"})
    assert out.reason == "already_refunded" and "ch_rex" not in out.summary, out.summary
    assert "$20.00" in out.summary and "1 November 2026" in out.summary
    too_much = env.gateway.propose(env.scope("rex"), "refund", {"charge_id": "ch_rex_10", "amount": "25.00"})
    assert too_much.reason == "exceeds_refundable" and "ch_rex" not in too_much.summary, too_much.summary


def test_a_price_per_period_is_said_with_tax_or_before_tax_never_mixed() -> None:
    business = Plan(PlanId("business-monthly"), "Business", Money.parse("120.00", "usd"), Interval.MONTH)
    assert then_per_period(business, 1, Money.parse("144.00", "usd")) == (
        "Then $144.00 per month including tax ($120.00 before tax)."
    )
    assert then_per_period(business, 1, Money.parse("120.00", "usd")) == "Then $120.00 per month."
    assert then_per_period(business, 1, None) == "Then $120.00 per month."
