"""A share of a charge asked back ("half of it", "a third", "30 %"): the table's examples, the exact arithmetic,
and the refund the model proposes from it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from offline_fakes import Chat

from purser.models.offline.shares import SHARE_RULES, ShareRule, share_minor, share_of

EXAMPLES = [(rule, text) for rule in SHARE_RULES for text in rule.examples]
COUNTER = [(rule, text) for rule in SHARE_RULES for text in rule.counter_examples]


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=[f"{r.name}:{t}" for r, t in EXAMPLES])
def test_each_example_is_read_as_its_share(rule: ShareRule, text: str) -> None:
    share = share_of(text.lower())
    assert share is not None
    if rule.name != "percent":
        assert share == (rule.numerator, rule.denominator)
    else:
        assert share[1] == 100 and 0 < share[0] <= 100


@pytest.mark.parametrize(("rule", "text"), COUNTER, ids=[f"{r.name}:{t}" for r, t in COUNTER])
def test_a_counter_example_names_no_share(rule: ShareRule, text: str) -> None:
    assert share_of(text.lower()) is None


@pytest.mark.parametrize(
    ("minor", "share", "expected"),
    [
        (5000, (1, 2), 2500),
        (1001, (1, 2), 501),  # half a cent goes up
        (1000, (1, 3), 333),
        (2000, (2, 3), 1333),
        (999, (1, 4), 250),  # 249.75 → 250
        (1999, (15, 100), 300),  # 299.85 → 300
        (2000, (100, 100), 2000),
    ],
)
def test_the_share_in_minor_units_rounds_half_up(minor: int, share: tuple[int, int], expected: int) -> None:
    assert share_minor(minor, share) == expected


def test_the_share_never_exceeds_what_remains_of_the_charge() -> None:
    assert share_minor(5000, (1, 2), remaining_minor=1000) == 1000


def test_a_share_that_is_no_fraction_is_refused() -> None:
    with pytest.raises(ValueError, match="fraction"):
        share_minor(5000, (3, 2))
    with pytest.raises(ValueError, match="fraction"):
        share_minor(-1, (1, 2))


@given(
    minor=st.integers(min_value=0, max_value=10**12),
    denominator=st.integers(min_value=1, max_value=100),
    data=st.data(),
    remaining=st.one_of(st.none(), st.integers(min_value=0, max_value=10**12)),
)
def test_share_minor_is_the_nearest_integer_and_within_the_charge(
    minor: int, denominator: int, data: st.DataObject, remaining: int | None
) -> None:
    numerator = data.draw(st.integers(min_value=0, max_value=denominator))
    got = share_minor(minor, (numerator, denominator), remaining)
    assert isinstance(got, int)
    cap = minor if remaining is None else min(minor, remaining)
    assert 0 <= got <= cap
    if remaining is None or remaining >= minor:
        # |got - exact| <= 1/2, and an exact half rounds up: 2·den·got - 2·num·minor ∈ (-den, den]
        diff = 2 * denominator * got - 2 * numerator * minor
        assert -denominator < diff <= denominator


@pytest.mark.parametrize(
    ("message", "amount"),
    [
        ("could we have half of the November payment refunded? we stopped using it mid-month", "10.00"),
        ("please refund a quarter of my last payment", "5.00"),
        ("refund 30% of the October charge", "6.00"),
    ],
)
def test_a_share_of_a_named_charge_is_proposed_as_that_amount(message: str, amount: str) -> None:
    chat = Chat()
    chat.say(message)
    action, args = chat.backend.writes()[-1]
    assert action == "refund" and args["amount"] == amount


def test_a_share_answers_how_much_of_it() -> None:
    chat = Chat()
    chat.say("I'd like a partial refund of the November charge")
    assert not chat.backend.writes()
    chat.say("half of it please")
    action, args = chat.backend.writes()[-1]
    assert (action, args["charge_id"], args["amount"]) == ("refund", "ch_11", "10.00")
