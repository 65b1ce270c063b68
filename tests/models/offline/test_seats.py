"""Seat counts: relative vs absolute, head counts, and the current count the customer states.

The number of seats the customer says they have now is never the target; a relative change is
applied to the account's real count; when the customer's numbers disagree (with each other or
with the account) the model asks instead of guessing.
"""

from __future__ import annotations

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.normalize import normalize
from purser.models.offline.seats import parse_seats, seat_target


@pytest.mark.parametrize(
    ("text", "current", "total"),
    [
        ("there are seven of us now and we only pay for four seats", 4, 7),
        ("we're 9 people these days, we have 6 licences", 6, 9),
        ("please add the three seats we are missing", 6, 9),
        ("we need one more login for the new intern", 2, 3),
        ("take one seat off please", 5, 4),
        ("one user fewer from next month", 5, 4),
        ("cut us down to 3 licenses", 8, 3),
        ("bring the seat count to twelve", 10, 12),
        ("could we get 2 extra seats", 3, 5),
        ("remove 2 of our 6 seats", 6, 4),
        ("we currently pay for 5 users, please make it 8", 5, 8),
        ("4 seats instead of 6 please", 6, 4),
        ("two colleagues left, so drop two seats", 7, 5),
        ("we onboarded 3 new employees, add seats for them", 4, 7),
        ("increase by 1 please, we have 3 seats today", 3, 4),
        ("set us at 15 seats in total", 11, 15),
        ("add two seats so we end up with 6 in total", 4, 6),
        ("we are 2 weeks late with onboarding, add a seat for Sam", 4, 5),
        ("we are 6 now, update the seats", 4, 6),
    ],
)
def test_seat_totals(text: str, current: int, total: int) -> None:
    slot = parse_seats(normalize(text))
    assert slot is not None, text
    assert seat_target(slot, current) == total, (text, slot)


@pytest.mark.parametrize(
    ("text", "current"),
    [
        ("we have 3 seats, add 2 more", 4),  # the customer's 3 is not the account's 4: 5 or 6?
        ("we are 8 people, add 2 seats", 3),  # 3 + 2 is not 8
        ("add two seats so we have 10 in total", 4),
    ],
)
def test_disagreeing_numbers_ask(text: str, current: int) -> None:
    slot = parse_seats(normalize(text))
    assert slot is not None
    assert seat_target(slot, current) is None


def _chat(quantity: int) -> Chat:
    data = account()
    data["plans"][3]["id"] = "team-monthly"
    data["subscription"]["plan"] = data["plans"][3]  # Team, per seat
    data["subscription"]["quantity"] = quantity
    return Chat(Backend(account_data=data))


@pytest.mark.parametrize(
    ("message", "quantity", "total"),
    [
        ("Hi, our team is 6 people now but we only have 4 seats on the Team plan. Please fix that.", 4, 6),
        ("We have 4 seats; two new hires start Monday, please add 2 seats.", 4, 6),
        ("One person left the company, please remove one seat.", 4, 3),
    ],
)
def test_the_stated_count_is_not_the_target(message: str, quantity: int, total: int) -> None:
    chat = _chat(quantity)
    chat.say(message)
    assert chat.backend.writes() == [("change_seats", {"quantity": total})]


def test_a_mismatch_with_the_account_asks_for_the_total() -> None:
    chat = _chat(5)
    reply = chat.say("We have 3 seats, please add two more.")
    assert chat.backend.writes() == []
    assert "5 seats now" in reply
    chat.say("7 in total")
    assert chat.backend.writes() == [("change_seats", {"quantity": 7})]
