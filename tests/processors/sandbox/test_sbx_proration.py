"""Proration against Stripe's documented formula, as tables of cases.

Stripe: each line is price × quantity × (period_end − proration_date) / (period_end − period_start),
to the second, rounded to the minor unit; one negative line for the old price, one positive for the new.
The expected values below are worked out by hand (and re-derived with `Fraction` as a cross-check).
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from purser.domain import Interval, Plan, PlanId
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox.clock import add_interval, add_months, next_boundary_after
from purser.processors.sandbox.proration import prorate, round_half_up


def plan(pid: str, amount: str, interval: str = "month", currency: str = "usd") -> Plan:
    return Plan(PlanId(pid), pid.title(), Money.parse(amount, currency), Interval(interval))


PRO = plan("pro", "20.00")
BUSINESS = plan("business", "50.00")
TEAM = plan("team", "12.00")
PRO_YEAR = plan("pro-year", "200.00", "year")
BUSINESS_YEAR = plan("business-year", "500.00", "year")
JP = plan("jp", "1500", currency="jpy")
ODD = plan("odd", "10.01")

# (case, old, old_qty, new, new_qty, period_start, period_end, proration_date, credit, debit)
CASES = [
    ("pro->business mid-Nov", PRO, 1, BUSINESS, 1, "2026-11-01", "2026-12-01", "2026-11-16", -1000, 2500),
    ("to the second", PRO, 1, BUSINESS, 1, "2026-11-01", "2026-12-01", "2026-11-16T12:34:56", -965, 2413),
    ("downgrade", BUSINESS, 1, PRO, 1, "2026-11-01", "2026-12-01", "2026-11-16", -2500, 1000),
    ("seats up", TEAM, 3, TEAM, 5, "2026-11-01", "2026-12-01", "2026-11-11", -2400, 4000),
    ("seats down", TEAM, 5, TEAM, 2, "2026-11-01", "2026-12-01", "2026-11-21", -2000, 800),
    ("first second", PRO, 1, BUSINESS, 1, "2026-11-01", "2026-12-01", "2026-11-01", -2000, 5000),
    ("last second", PRO, 1, BUSINESS, 1, "2026-11-01", "2026-12-01", "2026-12-01", 0, 0),
    ("year, seats up", PRO_YEAR, 1, PRO_YEAR, 2, "2026-01-01", "2027-01-01", "2026-07-01", -10082, 20164),
    ("year plan change", PRO_YEAR, 1, BUSINESS_YEAR, 1, "2026-01-01", "2027-01-01", "2026-10-01", -5041, 12603),
    ("Jan 31 anchor, Feb period", PRO, 1, BUSINESS, 1, "2027-01-31", "2027-02-28", "2027-02-14", -1000, 2500),
    ("leap Feb 29", PRO, 1, BUSINESS, 1, "2028-01-31", "2028-02-29", "2028-02-15", -966, 2414),
    ("leap year plan", PRO_YEAR, 1, BUSINESS_YEAR, 1, "2028-01-01", "2029-01-01", "2028-03-01", -16721, 41803),
    ("JPY zero-decimal", JP, 1, JP, 3, "2026-11-01", "2026-12-01", "2026-11-21", -500, 1500),
    ("JPY odd split", JP, 1, JP, 2, "2026-11-01", "2026-12-01", "2026-11-08", -1150, 2300),
    ("half rounds up", ODD, 1, ODD, 2, "2026-11-01", "2026-12-01", "2026-11-16", -501, 1001),
]


def _stripe(amount: int, qty: int, start: datetime, end: datetime, date: datetime) -> int:
    exact = Fraction(amount * qty) * Fraction(int((end - date).total_seconds()), int((end - start).total_seconds()))
    floor = exact.numerator // exact.denominator
    return floor + (1 if exact - floor >= Fraction(1, 2) else 0)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text if "T" in text else f"{text}T00:00:00").replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("old", "old_qty", "new", "new_qty", "start", "end", "date", "credit", "debit"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_proration_table(
    old: Plan, old_qty: int, new: Plan, new_qty: int, start: str, end: str, date: str, credit: int, debit: int
) -> None:
    s, e, d = _at(start), _at(end), _at(date)
    result = prorate(
        old_plan=old,
        old_quantity=old_qty,
        new_plan=new,
        new_quantity=new_qty,
        period_start=s,
        period_end=e,
        proration_date=d,
    )
    credit_line, debit_line = result.lines
    assert credit_line.amount.minor == credit == -_stripe(old.amount.minor, old_qty, s, e, d)
    assert debit_line.amount.minor == debit == _stripe(new.amount.minor, new_qty, s, e, d)
    assert credit_line.description.startswith("Unused time on ")
    assert debit_line.description.startswith("Remaining time on ")
    assert credit_line.amount.currency == old.amount.currency
    assert result.total == credit + debit


def test_the_design_example_charges_exactly_15_dollars() -> None:
    result = prorate(
        old_plan=PRO,
        old_quantity=1,
        new_plan=BUSINESS,
        new_quantity=1,
        period_start=_at("2026-11-01"),
        period_end=_at("2026-12-01"),
        proration_date=_at("2026-11-16"),
    )
    assert Money(result.total, "usd") == Money.parse("15.00", "usd")
    assert [line.description for line in result.lines] == [
        "Unused time on Pro after 16 Nov 2026",
        "Remaining time on Business after 16 Nov 2026",
    ]


def test_interval_change_restarts_the_cycle() -> None:
    result = prorate(
        old_plan=PRO,
        old_quantity=1,
        new_plan=PRO_YEAR,
        new_quantity=1,
        period_start=_at("2026-11-01"),
        period_end=_at("2026-12-01"),
        proration_date=_at("2026-11-16"),
    )
    assert result.resets_cycle
    assert [line.amount.minor for line in result.lines] == [-1000, 20000]
    assert result.new_period_start == _at("2026-11-16")
    assert result.new_period_end == _at("2027-11-16")


@pytest.mark.parametrize(
    ("date", "code"),
    [("2026-10-31T23:59:59", "invalid_proration_date"), ("2026-12-01T00:00:01", "invalid_proration_date")],
)
def test_proration_date_outside_the_period_is_refused(date: str, code: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        prorate(
            old_plan=PRO,
            old_quantity=1,
            new_plan=BUSINESS,
            new_quantity=1,
            period_start=_at("2026-11-01"),
            period_end=_at("2026-12-01"),
            proration_date=_at(date),
        )
    assert err.value.code == code


def test_currency_mismatch_is_refused() -> None:
    with pytest.raises(InvalidRequest) as err:
        prorate(
            old_plan=PRO,
            old_quantity=1,
            new_plan=JP,
            new_quantity=1,
            period_start=_at("2026-11-01"),
            period_end=_at("2026-12-01"),
            proration_date=_at("2026-11-16"),
        )
    assert err.value.code == "currency_mismatch"


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(1, 2, 1), (3, 2, 2), (-1, 2, -1), (-3, 2, -2), (1, 3, 0), (2, 3, 1), (0, 7, 0), (10, 5, 2)],
)
def test_round_half_up(num: int, den: int, expected: int) -> None:
    assert round_half_up(num, den) == expected


# -- anchored periods ---------------------------------------------------------------------------

ANCHORS = [
    ("2027-01-31", 1, "2027-02-28"),
    ("2027-01-31", 2, "2027-03-31"),
    ("2027-01-31", 3, "2027-04-30"),
    ("2028-01-31", 1, "2028-02-29"),
    ("2026-08-31", 6, "2027-02-28"),
    ("2026-12-15", 1, "2027-01-15"),
    ("2028-02-29", 12, "2029-02-28"),
    ("2028-02-29", 48, "2032-02-29"),
]


@pytest.mark.parametrize(("anchor", "months", "expected"), ANCHORS)
def test_add_months_is_anchored_and_clamped(anchor: str, months: int, expected: str) -> None:
    assert add_months(_at(anchor), months) == _at(expected)


def test_next_boundary_after_walks_the_anchor() -> None:
    anchor = _at("2027-01-31T10:00:00")
    seen = []
    cursor = anchor
    for _ in range(5):
        cursor = next_boundary_after(anchor, Interval.MONTH, cursor)
        seen.append(cursor.date().isoformat())
    assert seen == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]
    assert next_boundary_after(anchor, Interval.MONTH, _at("2027-03-15")) == _at("2027-03-31T10:00:00")
    assert add_interval(_at("2028-02-29"), Interval.YEAR) == _at("2029-02-28")
