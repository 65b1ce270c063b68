"""Month ranges: every month between the two named, or from the month named to today."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from offline_fakes import Chat

from purser.models.offline.dates import parse_dates

NOW = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("refund everything i paid since june", date(2026, 6, 1), date(2026, 11, 16)),
        ("all charges from june to august", date(2026, 6, 1), date(2026, 8, 31)),
        ("the invoices between august and october", date(2026, 8, 1), date(2026, 10, 31)),
        ("june through august please", date(2026, 6, 1), date(2026, 8, 31)),
        ("from november 2025 to february", date(2025, 11, 1), date(2026, 2, 28)),
    ],
)
def test_a_month_range_is_one_span(text: str, start: date, end: date) -> None:
    spans = parse_dates(text, NOW)
    assert [(s.start, s.end, s.kind) for s in spans] == [(start, end, "range")], text


@pytest.mark.parametrize("text", ["the charges from june and august", "refund the one from june"])
def test_two_months_or_one_are_not_a_range(text: str) -> None:
    assert all(s.kind == "month" for s in parse_dates(text, NOW)), text


def test_every_charge_of_a_range_is_its_own_refund() -> None:
    chat = Chat()
    chat.say("please refund all the charges from june to august")
    assert chat.backend.writes()[0][1]["charge_id"] == "ch_06"
    chat.confirm(summary="Refunded.")
    chat.confirm(summary="Refunded.")
    assert [w[1]["charge_id"] for w in chat.backend.writes()] == ["ch_06", "ch_07", "ch_08"]  # July too
