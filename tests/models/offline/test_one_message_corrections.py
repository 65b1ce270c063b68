"""A correction inside one message ("add 3 seats — no wait, make it 4", "9 seats, not 8"): the last value wins;
a price question after a corrected seat count prices that count."""

from __future__ import annotations

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.normalize import normalize
from purser.models.offline.seats import SeatSlot, parse_seats


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("please add 2 seats — no wait, make it 3, someone else starts monday", SeatSlot("add", 3)),
        ("go to 8 seats, sorry no, 9", SeatSlot("set", 9)),
        ("remove 2 users, actually no, 3", SeatSlot("remove", 3)),
        ("set us to 12 licences — I mean 14", SeatSlot("set", 14)),
        ("add 2 seats - no wait, 3 seats in total", SeatSlot("set", 3)),
        ("we need 11 seats, not 10", SeatSlot("set", 11)),
        ("add 4 seats", SeatSlot("add", 4)),
    ],
)
def test_the_last_value_of_a_message_wins(text: str, slot: SeatSlot) -> None:
    assert parse_seats(normalize(text)) == slot


def _team(seats: int = 5) -> Backend:
    data = account()
    data["subscription"]["plan"] = data["plans"][3]  # Team, per seat
    data["subscription"]["quantity"] = seats
    return Backend(account_data=data)


def test_a_self_corrected_seat_request_is_proposed_with_the_last_number() -> None:
    chat = Chat(_team(5))
    chat.say("Add 2 seats for us — no wait, make it 3, another designer joined.")
    assert chat.backend.writes()[-1] == ("change_seats", {"quantity": 8})


def test_a_corrected_count_then_what_does_that_cost_prices_the_correction() -> None:
    chat = Chat(_team(5))
    chat.say("How much would it be to go from 5 to 7 seats?")
    chat.say("Oops, my mistake: 8 seats, not 7. What would that cost?")
    name, args = chat.backend.calls[-1]
    # priced as a quote, or proposed with the quote on its confirmation: either way 8 seats, nothing done
    assert (name, args.get("quantity")) in {("preview_change", 8), ("change_seats", 8)}
