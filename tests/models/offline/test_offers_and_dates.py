"""Declining an offer politely, pause lengths given as a month ("until January"), and two months
named in one refund request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.normalize import normalize
from purser.models.offline.slots import parse_months_until, yes_no

NOW = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.mark.parametrize("text", ["Not now, thanks", "maybe later", "thanks but no", "not at the moment", "I'll pass"])
def test_polite_refusals_are_no(text: str) -> None:
    assert yes_no(normalize(text)) == "no"


@pytest.mark.parametrize("answer", ["Not now, thanks", "maybe later!", "Thank you, but no."])
def test_declining_a_refund_or_change_offer_changes_nothing(answer: str) -> None:
    data = account()
    data["charges"].insert(0, dict(data["charges"][0], id="ch_11b", created="2026-11-01T00:02:10Z"))
    chat = Chat(Backend(account_data=data))
    chat.say("Looks like you billed me two times on Nov 1?")
    assert "haven't changed anything" in chat.say(answer)
    chat = Chat()
    chat.say("what would it cost me to go to Business?")
    assert "haven't changed anything" in chat.say(answer)
    assert "preview_change" in [n for n, _ in chat.backend.calls]
    assert chat.backend.writes() == []


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("pause us until january", 2),
        ("hold my plan till march", 4),
        ("pause it through february", 4),
        ("pause til the end of january", 3),
        ("pause until next year", 2),
        ("pause until next month", 1),
        ("pause for a while", None),
    ],
)
def test_months_until(text: str, months: int | None) -> None:
    assert parse_months_until(normalize(text), NOW) == months


def test_pause_until_a_month_proposes_that_many_months() -> None:
    chat = Chat()
    chat.say("Could you freeze my subscription until February?")
    assert chat.backend.writes() == [("pause", {"months": 3})]


@pytest.mark.parametrize(
    "message",
    ["refund the August and September charges", "please give me my money back for august and september"],
)
def test_two_months_in_one_refund_request(message: str) -> None:
    chat = Chat()
    chat.say(message)
    chat.confirm(summary="Refunded $20.00.")
    assert [w[1]["charge_id"] for w in chat.backend.writes()] == ["ch_08", "ch_09"]
