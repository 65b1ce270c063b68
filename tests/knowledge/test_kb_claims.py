"""Sentence normalization and the policy-statement patterns, phrased many ways."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purser.knowledge.claims import extract_claims
from purser.knowledge.normalize import Duration, normalize_sentence, words_to_number
from purser.knowledge.text import split_sentences, stem, tokenize


@pytest.mark.parametrize(
    ("words", "value"),
    [("thirty", 30), ("twenty-one", 21), ("two hundred and fifty", 250), ("one thousand", 1000), ("x", None)],
)
def test_words_to_number(words: str, value: int | None) -> None:
    assert words_to_number(words) == value


def test_normalize_sentence() -> None:
    assert normalize_sentence("Refunds within Thirty days.") == "refunds within 30 days."
    assert normalize_sentence("Up to 1,000 seats") == "up to 1000 seats"
    assert normalize_sentence("once a year, twice a month") == "1 times a year, 2 times duplicate a month"
    assert normalize_sentence("Once your card is updated") == "once your card is updated"
    assert normalize_sentence("applied at once.") == "applied at once."


def test_duration_units() -> None:
    assert Duration(1, "month").days == 30 and Duration(12, "month").days == 365
    assert Duration(2, "week").days == 14 and Duration(1, "quarter").months == 3
    assert Duration(90, "day").months == 3 and Duration(45, "day").months is None
    assert str(Duration(1, "day")) == "1 day" and str(Duration(3, "month")) == "3 months"


# sentence -> the (kind, value) claims it must yield
CASES: list[tuple[str, set[tuple[str, object]]]] = [
    ("Customers have 60 days to request a refund.", {("refund_window", 60)}),
    ("Refund requests must be made no later than 14 days after the charge.", {("refund_window", 14)}),
    ("You may request a refund during the first 45 days.", {("refund_window", 45)}),
    ("We honour refund requests for charges made in the last two weeks.", {("refund_window", 14)}),
    ("Our refund window is 2 weeks.", {("refund_window", 14)}),
    ("Refunds are only possible within a fortnight of payment.", {("refund_window", 14)}),
    ("You can get your money back within a month of purchase.", {("refund_window", 30)}),
    ("We can refund at most $250 per request.", {("refund_max", "250")}),
    ("The maximum refund is 3 billing periods.", {("refund_max", "3_cycle")}),
    ("Refunds are limited to one month of subscription fees.", {("refund_max", "1_cycle")}),
    ("Agents can refund up to $500 a day in total.", {("daily_budget", "500")}),
    (
        "A customer can receive at most 3 refunds in any 12-month period.",
        {("refund_count", 3), ("refund_lookback", 365)},
    ),
    ("Only one refund per year is allowed.", {("refund_count", 1), ("refund_lookback", 365)}),
    ("You can be refunded twice per quarter.", {("refund_count", 2), ("refund_lookback", 90)}),
    ("Refunds are limited to two refunds per customer.", {("refund_count", 2)}),
    ("Subscriptions can be put on hold for up to 60 days.", {("pause_max", 2)}),
    ("You may pause billing for a maximum of one month.", {("pause_max", 1)}),
    ("Pauses last up to twelve weeks.", {("pause_max", -84)}),
    ("Plan downgrades are applied immediately with a prorated credit.", {("downgrade", "now_prorated")}),
    ("If you reduce your seats, the change is effective immediately.", {("downgrade", "now_prorated")}),
    ("Upgrades take effect at your next renewal.", {("upgrade", "period_end")}),
    (
        "Upgrades apply right away, whereas downgrades wait for the next renewal.",
        {("upgrade", "now_prorated"), ("downgrade", "period_end")},
    ),
    ("Downgrades do not take effect immediately; they apply at the end of the period.", {("downgrade", "period_end")}),
    ("Cancelling ends your subscription right away.", {("cancellation", "now")}),
    ("Cancellation is effective at the end of the month.", {("cancellation", "period_end")}),
    ("We attempt to collect a failed payment up to 5 times.", {("dunning_count", 5)}),
    ("If your card is declined we try again after 2, 4 and 6 days.", {("dunning_days", (2, 4, 6))}),
    ("Failed payments are retried twice.", {("dunning_count", 2)}),
    ("We make 4 payment attempts in total.", {("dunning_count", 3)}),
    ("You can change up to 200 seats at once.", {("max_seat_change", 200)}),
    (
        "Cancellation requests are processed immediately, but your access continues until the end of the "
        "billing period.",
        {("cancellation", "period_end")},
    ),
    (
        "You can cancel immediately from the settings page; the cancellation takes effect at the end of "
        "your billing period.",
        {("cancellation", "period_end")},
    ),
    ("Downgrades are scheduled immediately and take effect at the end of the period.", {("downgrade", "period_end")}),
    ("If you cancel, your subscription ends immediately and you lose access.", {("cancellation", "now")}),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES)
def test_extract_claims(sentence: str, expected: set[tuple[str, object]]) -> None:
    assert {(c.kind, c.value) for c in extract_claims(sentence)} == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Most banks show refunds within 5 to 10 business days.",
        "We give at least 30 days' notice before a price change.",
        "Until the end of the period you can undo a cancellation.",
        "Once your card is updated, ask us to retry the payment.",
        "A refund never exceeds what is left of the original charge.",
        "Refunds of an exact duplicate do not count towards the one-refund limit.",
        "You can cancel at any time.",
        "Each charge can be refunded once.",
        "Paused workspaces keep their data for 12 months.",
        "If you cancel, we will email you immediately with a confirmation.",
        "If you downgrade, we refund the difference immediately.",
        "We will cancel immediately if we detect fraud.",
        "Invoices are due within 15 days of the invoice date.",
        "We respond to support tickets within 1 business day.",
    ],
)
def test_sentences_without_policy_claims(sentence: str) -> None:
    assert extract_claims(sentence) == []


def test_split_sentences_and_tokenize() -> None:
    assert split_sentences("Part of these terms. In short: yes. Ask Ms. Li.") == [
        "Part of these terms.",
        "In short: yes.",
        "Ask Ms. Li.",
    ]
    text = "First one, e.g. this. Second!\n\n- item one\n- item two\nThird without stop"
    assert split_sentences(text) == ["First one, e.g. this.", "Second!", "- item one", "- item two Third without stop"]
    assert tokenize("Cancelled cancellations, charged twice!") == ["cancel", "cancel", "duplicat", "charg"]
    assert stem("proration") == stem("prorated") == "prorat"


# -- property: the same statement in many phrasings ------------------------------------------
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen \
seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


_WINDOW_TEMPLATES = [
    "Refunds are available within {d} of the charge.",
    "You can ask for a refund up to {d} after purchase.",
    "We offer a {h} money-back guarantee.",
    "Customers have {d} to request a refund.",
    "Charges older than {d} cannot be refunded.",
    "Our refund window is {d}.",
]
_PAUSE_TEMPLATES = [
    "You can pause your subscription for up to {d}.",
    "Subscriptions may be put on hold for a maximum of {d}.",
    "A pause can last no longer than {d}.",
]


@given(
    template=st.sampled_from(_WINDOW_TEMPLATES),
    n=st.integers(min_value=2, max_value=99),
    unit=st.sampled_from(["day", "week", "month"]),
    as_words=st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_refund_window_in_any_phrasing(template: str, n: int, unit: str, as_words: bool) -> None:
    number = _words(n) if as_words else str(n)
    sentence = template.format(d=f"{number} {unit}s", h=f"{number}-{unit}")
    expected = n * {"day": 1, "week": 7, "month": 30}[unit]
    if unit == "month" and n % 12 == 0:
        expected = n // 12 * 365
    assert [(c.kind, c.value) for c in extract_claims(sentence)] == [("refund_window", expected)], sentence


@given(template=st.sampled_from(_PAUSE_TEMPLATES), n=st.integers(min_value=1, max_value=24), as_words=st.booleans())
@settings(max_examples=60, deadline=None)
def test_pause_length_in_any_phrasing(template: str, n: int, as_words: bool) -> None:
    number = ("a" if n == 1 else _words(n)) if as_words else str(n)
    sentence = template.format(d=f"{number} month{'s' if n != 1 else ''}")
    assert [(c.kind, c.value) for c in extract_claims(sentence)] == [("pause_max", n)], sentence
