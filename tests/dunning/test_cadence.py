"""The cadence: step times on the processor's clock, quiet hours in the customer's zone, the final step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from purser.domain.ids import CustomerId, InvoiceId
from purser.dunning.cadence import due_actions, plan, quiet_adjusted, timezone_for
from purser.dunning.cases import DunningCase, StepAction, StepRecord, case_id_for
from purser.money import Money
from purser.policy.schema import DunningPolicy, Policy, PolicyError, QuietHours

OPENED = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def a_case(reason: str = "card_declined", **changes: object) -> DunningCase:
    case = DunningCase(
        id=case_id_for("in_1"),
        invoice_id=InvoiceId("in_1"),
        customer_id=CustomerId("cus_1"),
        subscription_id=None,
        amount=Money.parse("50.00", "usd"),
        card_brand="visa",
        card_last4="4242",
        decline_reason=reason,
        opened_at=OPENED,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def test_the_default_cadence_of_design_10() -> None:
    steps = [(a.step, a.action.value, a.due_at - OPENED) for a in plan(a_case(), DunningPolicy(), None)]
    assert steps == [
        (0, "notify", timedelta(0)),
        (1, "retry", timedelta(days=3)),
        (1, "notify", timedelta(days=3)),
        (2, "retry", timedelta(days=7)),
        (2, "notify", timedelta(days=7)),
        (3, "retry", timedelta(days=14)),
        (4, "final", timedelta(days=14)),
    ]


def test_an_expired_card_is_never_retried_but_still_told() -> None:
    actions = plan(a_case("expired_card"), DunningPolicy(), None)
    assert [a.skip for a in actions if a.action is StepAction.RETRY] == [True, True, True]
    assert [a.step for a in actions if a.action is StepAction.NOTIFY] == [0, 1, 2]


def test_due_actions_skip_what_ran_and_wait_for_the_last_step_before_the_final_one() -> None:
    policy = DunningPolicy()
    case = a_case()
    assert [(a.step, a.action) for a in due_actions(case, policy, None, OPENED)] == [(0, StepAction.NOTIFY)]
    ran = replace(case, steps=(StepRecord(0, StepAction.NOTIFY, OPENED, "email"),))
    assert due_actions(ran, policy, None, OPENED + timedelta(days=2)) == []
    late = [(a.step, a.action) for a in due_actions(ran, policy, None, OPENED + timedelta(days=30))]
    assert late[-1] == (4, StepAction.FINAL) and len(late) == 6
    # Insufficient funds: the last retry moves to a later payday, and the final step waits for it.
    funds = replace(ran, decline_reason="insufficient_funds")
    due = due_actions(funds, policy, None, OPENED + timedelta(days=20))
    assert StepAction.FINAL not in {a.action for a in due}


@pytest.mark.parametrize(
    ("utc_time", "zone", "expected"),
    [
        # 15:00 UTC is 10:00 in New York: not quiet.
        ("2026-12-01T15:00", "America/New_York", "2026-12-01T15:00"),
        # 03:00 UTC is 22:00 in New York: waits until 08:00 New York the next morning (13:00 UTC).
        ("2026-12-02T03:00", "America/New_York", "2026-12-02T13:00"),
        # 06:00 UTC is 01:00 in New York (after midnight): 08:00 the same local day.
        ("2026-12-01T06:00", "America/New_York", "2026-12-01T13:00"),
        # 21:30 UTC is 22:30 in Berlin: 08:00 Berlin next day = 07:00 UTC.
        ("2026-12-01T21:30", "Europe/Berlin", "2026-12-02T07:00"),
        # Summer time: 08:00 Berlin is 06:00 UTC.
        ("2026-07-01T21:30", "Europe/Berlin", "2026-07-02T06:00"),
    ],
)
def test_quiet_hours_in_the_customers_zone(utc_time: str, zone: str, expected: str) -> None:
    at = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    want = datetime.fromisoformat(expected).replace(tzinfo=UTC)
    assert quiet_adjusted(at, QuietHours(), ZoneInfo(zone)) == want


def test_quiet_hours_that_do_not_wrap_and_none() -> None:
    lunch = QuietHours(start="12:00", end="13:30")
    at = datetime(2026, 12, 1, 12, 15, tzinfo=UTC)
    assert quiet_adjusted(at, lunch, None) == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert quiet_adjusted(at, None, None) == at


def test_a_zone_from_the_country() -> None:
    assert str(timezone_for("US")) == "America/New_York"
    assert str(timezone_for("de")) == "Europe/Berlin"
    assert str(timezone_for("JP")) == "Asia/Tokyo"
    assert str(timezone_for("US", "America/Los_Angeles")) == "America/Los_Angeles"
    assert timezone_for(None) is None and timezone_for("XX") is None


@pytest.mark.parametrize(
    ("dunning", "message"),
    [
        ({"steps": []}, "at least one step"),
        ({"steps": [{"day": 3, "retry": True}, {"day": 3, "notify": True}]}, "step days must increase"),
        ({"steps": [{"day": -1, "notify": True}]}, "policy.dunning.steps.0.day"),
        ({"steps": [{"day": 1}]}, "does nothing"),
        ({"quiet_hours": {"start": "9pm"}}, "HH:MM"),
        ({"final": "forgive"}, "policy.dunning.final"),
        ({"channel": "pigeon"}, "policy.dunning.channel"),
        ({"cadence": []}, "unknown key"),
    ],
)
def test_a_bad_dunning_policy_is_named(dunning: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_mapping({"dunning": dunning})


def test_policy_overrides_merge() -> None:
    policy = Policy().merged({"dunning": {"final": "cancel", "quiet_hours": None}})
    assert policy.dunning.final == "cancel" and policy.dunning.quiet_hours is None
    assert len(policy.dunning.steps) == 4
