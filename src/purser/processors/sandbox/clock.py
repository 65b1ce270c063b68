"""Time arithmetic of the sandbox: UTC normalisation and Stripe's anchored billing periods.

Stripe anchors a subscription's periods on its `billing_cycle_anchor`: period n
ends at anchor + n intervals, with the day of month clamped to the month's
length. A Jan 31 anchor therefore bills on Feb 28 (Feb 29 in a leap year),
then Mar 31, Apr 30 ... — the clamp never "drifts" because every boundary is
computed from the anchor, not from the previous boundary.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from purser.domain import Interval
from purser.processors.errors import InvalidRequest

__all__ = [
    "add_interval",
    "add_months",
    "interval_months",
    "next_boundary_after",
    "to_db",
    "utc",
    "wall_now",
]


def utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime; a naive value is read as UTC (how SQLite returns it)."""
    if value.tzinfo is UTC:  # the common case, and the cheapest test
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def require_aware(value: datetime, name: str) -> datetime:
    """`value` in UTC; raises `InvalidRequest` naming `name` when it has no timezone."""
    if not isinstance(value, datetime):
        raise InvalidRequest(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise InvalidRequest(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def to_db(value: datetime | None) -> datetime | None:
    """The value bound into a `DateTime(timezone=True)` column: aware UTC, whole microseconds."""
    return None if value is None else utc(value)


def wall_now() -> datetime:
    """Wall-clock UTC time truncated to the second (the clock before anything set it)."""
    return datetime.now(UTC).replace(microsecond=0)


def interval_months(interval: Interval | str) -> int:
    """Months in one billing interval (month 1, year 12)."""
    return 12 if Interval(interval) is Interval.YEAR else 1


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` moved by `months` calendar months, the day clamped to the target month's length."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(index, 12)
    day = min(anchor.day, calendar.monthrange(year, month0 + 1)[1])
    return anchor.replace(year=year, month=month0 + 1, day=day)


def add_interval(anchor: datetime, interval: Interval | str, count: int = 1) -> datetime:
    """The boundary `count` intervals after `anchor` (anchored, clamped)."""
    return add_months(anchor, interval_months(interval) * count)


def next_boundary_after(anchor: datetime, interval: Interval | str, after: datetime) -> datetime:
    """The first period boundary anchor + n·interval (n ≥ 1) strictly after `after`."""
    step = interval_months(interval)
    months = (after.year - anchor.year) * 12 + (after.month - anchor.month)
    n = max(1, months // step - 1)
    boundary = add_months(anchor, n * step)
    while boundary <= after:
        n += 1
        boundary = add_months(anchor, n * step)
    while n > 1 and add_months(anchor, (n - 1) * step) > after:
        n -= 1
        boundary = add_months(anchor, n * step)
    return boundary


def anchor_for(created: datetime, period_start: datetime, interval: Interval | str) -> datetime:
    """The billing anchor of an imported subscription.

    `created` when the periods counted from it land on `period_start` (this keeps a
    Jan 31 anchor whose current period starts on Feb 28), else `period_start` itself.
    """
    if created == period_start:
        return created
    if created < period_start:
        boundary = next_boundary_after(created, interval, period_start - timedelta(microseconds=1))
        if boundary == period_start:
            return created
    return period_start


def period_end_for(created: datetime, period_start: datetime, interval: Interval | str) -> datetime:
    """The end of a subscription's current period the way Stripe anchors it (for world loaders):
    a subscription created Jan 31 whose period starts Feb 28 ends Mar 31, not Mar 28."""
    return next_boundary_after(anchor_for(created, period_start, interval), interval, period_start)
