"""Slot grammars: dates relative to a given now, amounts per currency, seats, months, plans, yes/no."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from purser.models.offline.normalize import normalize
from purser.models.offline.slots import (
    AmountSlot,
    match_plan,
    numbers_from_words,
    parse_amounts,
    parse_dates,
    parse_interval,
    parse_months,
    parse_seats,
    yes_no,
)

NOW = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


def _dates(text: str, now: datetime = NOW) -> list[tuple[date, date]]:
    return [(s.start, s.end) for s in parse_dates(normalize(text), now)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("charged twice on November 1st", [(date(2026, 11, 1), date(2026, 11, 1))]),
        ("the 3rd of october", [(date(2026, 10, 3), date(2026, 10, 3))]),
        ("1 Nov", [(date(2026, 11, 1), date(2026, 11, 1))]),
        ("my August charge", [(date(2026, 8, 1), date(2026, 8, 31))]),
        ("in decembr", [(date(2025, 12, 1), date(2025, 12, 31))]),  # typo, and the latest past December
        ("last month", [(date(2026, 10, 1), date(2026, 10, 31))]),
        ("this month", [(date(2026, 11, 1), date(2026, 11, 30))]),
        ("3 months ago", [(date(2026, 8, 1), date(2026, 8, 31))]),
        ("three months ago", [(date(2026, 8, 1), date(2026, 8, 31))]),
        ("yesterday", [(date(2026, 11, 15), date(2026, 11, 15))]),
        ("on the 1st", [(date(2026, 11, 1), date(2026, 11, 1))]),
        ("on the 20th", [(date(2026, 10, 20), date(2026, 10, 20))]),
        ("2026-09-01", [(date(2026, 9, 1), date(2026, 9, 1))]),
        ("September 2025", [(date(2025, 9, 1), date(2025, 9, 30))]),
        ("I may have been charged", []),
        ("charged in May", [(date(2026, 5, 1), date(2026, 5, 31))]),
    ],
)
def test_dates(text: str, expected: list[tuple[date, date]]) -> None:
    text = numbers_from_words(normalize(text))
    assert [(s.start, s.end) for s in parse_dates(text, NOW)] == expected


def test_dates_follow_the_given_clock() -> None:
    january = datetime(2027, 1, 5, tzinfo=UTC)
    assert _dates("last month", january) == [(date(2026, 12, 1), date(2026, 12, 31))]
    assert _dates("november 1st", january) == [(date(2026, 11, 1), date(2026, 11, 1))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$20", [AmountSlot(Decimal("20"), "usd")]),
        ("20 bucks", [AmountSlot(Decimal("20"), "usd")]),
        ("€15,50", [AmountSlot(Decimal("15.50"), "eur")]),
        ("1500 yen", [AmountSlot(Decimal("1500"), "jpy")]),
        ("¥1,500", [AmountSlot(Decimal("1500"), "jpy")]),
        ("£7.99", [AmountSlot(Decimal("7.99"), "gbp")]),
        ("USD 20.00", [AmountSlot(Decimal("20.00"), "usd")]),
        ("1.234,56 €", [AmountSlot(Decimal("1234.56"), "eur")]),
        ("refund 20", []),
        ("invoice PUR-0006", []),
    ],
)
def test_amounts(text: str, expected: list[AmountSlot]) -> None:
    assert parse_amounts(normalize(text)) == expected


@pytest.mark.parametrize(
    ("text", "mode", "count"),
    [
        ("we need 10 seats", "set", 10),
        ("change us to 4 users", "set", 4),
        ("add 3 more seats", "add", 3),
        ("add three more seats", "add", 3),
        ("two more users please", "add", 2),
        ("add a seat", "add", 1),
        ("remove two users", "remove", 2),
        ("drop 1 license", "remove", 1),
        ("5 fewer seats", "remove", 5),
    ],
)
def test_seats(text: str, mode: str, count: int) -> None:
    slot = parse_seats(normalize(text))
    assert slot is not None
    assert (slot.mode, slot.count) == (mode, count)


def test_no_seats() -> None:
    assert parse_seats(normalize("refund my last charge")) is None


@pytest.mark.parametrize(
    ("text", "months"),
    [("pause for 2 months", 2), ("two months", 2), ("a month", 1), ("a couple of months", 2),
     ("for 6 weeks", 2), ("pause please", None)],
)  # fmt: skip
def test_months(text: str, months: int | None) -> None:
    assert parse_months(normalize(text)) == months


def test_interval() -> None:
    assert parse_interval("switch to annual billing") == "year"
    assert parse_interval("go back to monthly") == "month"
    assert parse_interval("upgrade me") is None


PLANS = [
    {"id": "basic-monthly", "name": "Basic", "interval": "month"},
    {"id": "pro-monthly", "name": "Pro", "interval": "month"},
    {"id": "business-monthly", "name": "Business", "interval": "month"},
    {"id": "pro-yearly", "name": "Pro", "interval": "year"},
]


@pytest.mark.parametrize(
    ("text", "plan_id"),
    [
        ("upgrade me to Business", "business-monthly"),
        ("upgrade to bussines", "business-monthly"),
        ("downgrade to basic", "basic-monthly"),
        ("pro yearly please", "pro-yearly"),
        ("switch to annual billing", "pro-yearly"),
        ("pro", "pro-monthly"),
    ],
)
def test_plan_fuzzy_match(text: str, plan_id: str) -> None:
    assert match_plan(normalize(text), PLANS, PLANS[1])[0]["id"] == plan_id


def test_no_plan_named() -> None:
    assert match_plan("refund me", PLANS, PLANS[1]) == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [("yes please", "yes"), ("Yeah sure", "yes"), ("ok", "yes"), ("go ahead", "yes"), ("no thanks", "no"),
     ("nope", "no"), ("not now", "no"), ("why was I charged", None)],
)  # fmt: skip
def test_yes_no(text: str, answer: str | None) -> None:
    assert yes_no(normalize(text)) == answer


def test_number_words() -> None:
    assert numbers_from_words("add twenty five seats") == "add 25 seats"
    assert numbers_from_words("the extra one") == "the extra one"
    assert numbers_from_words("one more seat") == "1 more seat"
