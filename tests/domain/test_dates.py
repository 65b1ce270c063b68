"""The one date formatter: customer styles and the JSON timestamp."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from purser.domain.dates import format_date, iso_utc, parse_iso_utc

MOMENT = datetime(2026, 11, 6, 23, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("style", "text"),
    [("long", "6 November 2026"), ("us", "November 6, 2026"), ("short", "06 Nov 2026"), ("iso", "2026-11-06")],
)
def test_styles(style: str, text: str) -> None:
    assert format_date(MOMENT, style) == text  # type: ignore[arg-type]
    assert format_date(date(2026, 11, 6), style) == text  # type: ignore[arg-type]


def test_an_aware_time_is_written_as_its_utc_day() -> None:
    lisbon_evening = datetime(2026, 11, 6, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert format_date(lisbon_evening) == "7 November 2026"
    assert iso_utc(lisbon_evening) == "2026-11-07T01:30:00Z"


def test_iso_round_trip() -> None:
    assert iso_utc(MOMENT) == "2026-11-06T23:30:05Z"
    assert iso_utc(None) is None
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"  # naive is UTC already
    assert parse_iso_utc(iso_utc(MOMENT)) == MOMENT
    assert parse_iso_utc("2026-11-06T23:30:05") == MOMENT


def test_an_unknown_style_names_the_choices() -> None:
    with pytest.raises(ValueError, match="long, us, short or iso"):
        format_date(MOMENT, "fancy")  # type: ignore[arg-type]
