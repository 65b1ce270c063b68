"""The decline-reason table: each row with an example of when its retries run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.dunning.reasons import DECLINE_RULES, RetryTiming, next_payday, retry_time, rule_for

OPENED = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday


def day(n: int) -> datetime:
    return OPENED + timedelta(days=n)


@pytest.mark.parametrize(
    ("reason", "scheduled", "previous", "expected"),
    [
        # Only a new card helps: never retried.
        ("expired_card", day(3), None, None),
        ("lost_card", day(3), None, None),
        ("stolen_card", day(7), day(3), None),
        ("no_payment_method", day(3), None, None),
        # Near paydays: day 3 (4 Dec) moves to the 15th; the next retry to the month's last business
        # day (Thursday 31 Dec), then the 1st — never two retries on one payday.
        ("insufficient_funds", day(3), None, datetime(2026, 12, 15, 15, 0, tzinfo=UTC)),
        (
            "insufficient_funds",
            day(7),
            datetime(2026, 12, 15, 15, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 15, tzinfo=UTC),
        ),
        ("insufficient_funds", day(14), datetime(2026, 12, 31, 15, tzinfo=UTC), datetime(2027, 1, 1, 15, tzinfo=UTC)),
        # The network's fault: the first retry four hours after the failure, later ones as planned.
        ("processing_error", day(3), None, OPENED + timedelta(hours=4)),
        ("processing_error", day(7), OPENED + timedelta(hours=4), day(7)),
        # A plain decline, or a code nobody knows: as the policy says.
        ("card_declined", day(3), None, day(3)),
        ("do_not_honor", day(7), day(3), day(7)),
        ("something_new", day(3), None, day(3)),
    ],
)
def test_retry_time_by_reason(
    reason: str, scheduled: datetime, previous: datetime | None, expected: datetime | None
) -> None:
    assert retry_time(reason, opened_at=OPENED, scheduled=scheduled, previous=previous) == expected


def test_every_reason_has_plain_words() -> None:
    for rule in DECLINE_RULES.values():
        assert rule.plain and "_" not in rule.plain
    assert rule_for(None).timing is RetryTiming.SCHEDULED
    assert rule_for("insufficient_funds").plain == "the card has insufficient funds"


@pytest.mark.parametrize(
    ("at", "payday"),
    [
        (datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC)),  # the 1st is one
        (datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 15, 9, tzinfo=UTC)),
        (datetime(2026, 12, 16, 9, tzinfo=UTC), datetime(2026, 12, 31, 9, tzinfo=UTC)),
        # January 2027 ends on a Sunday: its last business day is Friday the 29th.
        (datetime(2027, 1, 16, 9, tzinfo=UTC), datetime(2027, 1, 29, 9, tzinfo=UTC)),
        (datetime(2027, 1, 30, 9, tzinfo=UTC), datetime(2027, 2, 1, 9, tzinfo=UTC)),
    ],
)
def test_next_payday(at: datetime, payday: datetime) -> None:
    assert next_payday(at) == payday


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_a_payday_is_never_more_than_half_a_month_away(at: datetime) -> None:
    found = next_payday(at)
    assert at <= found < at + timedelta(days=17)
    assert found.day in (1, 15) or (found + timedelta(days=1)).month != found.month or found.weekday() == 4
