"""Decline reasons as data: what each one means in plain words and when (if ever) a retry can help.

The best recovery tools retry by reason, not on a fixed timer: a card that is expired, lost or
stolen will never pay again (only a new card helps), insufficient funds clear around paydays, and a
processing error is the network's fault and clears within hours. The table below is the whole rule;
`tests/dunning/test_reasons.py` checks each row with an example.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "DECLINE_RULES",
    "DeclineRule",
    "RetryTiming",
    "next_payday",
    "retry_time",
    "rule_for",
]


class RetryTiming(StrEnum):
    """How a reason moves a step's retry."""

    NEVER = "never"
    """Never retried: only a new card helps."""
    PAYDAY = "payday"
    """Moved to the next typical payday on or after the step (1st, 15th, last business day)."""
    SOON = "soon"
    """The first retry comes a few hours after the failure; later ones as scheduled."""
    SCHEDULED = "scheduled"
    """As the policy's step says."""


@dataclass(frozen=True, slots=True)
class DeclineRule:
    """One row of the table."""

    reason: str
    """The processor's failure code."""
    plain: str
    """What the customer reads: why the payment failed."""
    timing: RetryTiming
    soon_hours: int = 4
    """For `SOON`: hours after the first failure."""


_RULES = (
    DeclineRule("expired_card", "the card has expired", RetryTiming.NEVER),
    DeclineRule("lost_card", "the card was reported lost", RetryTiming.NEVER),
    DeclineRule("stolen_card", "the card was reported stolen", RetryTiming.NEVER),
    DeclineRule("no_payment_method", "there is no card on file", RetryTiming.NEVER),
    DeclineRule("insufficient_funds", "the card has insufficient funds", RetryTiming.PAYDAY),
    DeclineRule("processing_error", "the card network had a temporary problem", RetryTiming.SOON),
    DeclineRule("card_declined", "the bank declined the payment", RetryTiming.SCHEDULED),
    DeclineRule("do_not_honor", "the bank declined the payment", RetryTiming.SCHEDULED),
)

DECLINE_RULES: dict[str, DeclineRule] = {rule.reason: rule for rule in _RULES}
"""Every known reason; an unknown one is treated like `card_declined`."""


def rule_for(reason: str | None) -> DeclineRule:
    """The rule of a failure code (unknown or missing codes: a generic decline, retried as scheduled)."""
    if reason and reason in DECLINE_RULES:
        return DECLINE_RULES[reason]
    return DeclineRule(reason or "card_declined", "the bank declined the payment", RetryTiming.SCHEDULED)


def _last_business_day(year: int, month: int) -> int:
    day = calendar.monthrange(year, month)[1]
    while calendar.weekday(year, month, day) >= 5:  # Saturday, Sunday
        day -= 1
    return day


def next_payday(at: datetime) -> datetime:
    """The first payday (the 1st, the 15th or the month's last business day) at or after `at`'s date,
    at `at`'s time of day; `at` itself when it is one."""
    day = at
    for _ in range(40):
        last = _last_business_day(day.year, day.month)
        if day.day in (1, 15, last):
            return day
        day = day + timedelta(days=1)
    raise AssertionError("a month always has a payday")  # pragma: no cover


def retry_time(
    reason: str | None,
    *,
    opened_at: datetime,
    scheduled: datetime,
    previous: datetime | None,
) -> datetime | None:
    """When a step's retry runs for a case that failed with `reason` (None: never).

    `scheduled` is the step's time by the policy (opened_at + day); `previous` is when the cadence's
    previous retry runs (None for the first retry, the one `SOON` brings forward). Payday retries
    go to distinct paydays: a second retry on the same payday would only decline again."""
    rule = rule_for(reason)
    if rule.timing is RetryTiming.NEVER:
        return None
    if rule.timing is RetryTiming.PAYDAY:
        earliest = scheduled if previous is None else max(scheduled, previous + timedelta(days=1))
        return next_payday(earliest)
    first_retry = previous is None
    if rule.timing is RetryTiming.SOON and first_retry:
        return min(scheduled, opened_at + timedelta(hours=rule.soon_hours))
    return scheduled
