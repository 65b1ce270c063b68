"""Per-turn CPU of the understanding step: an anchored VAT cue that matches the same messages, and date
parses memoized on (text, day). Speed itself is measured in benchmarks; these tests pin the behaviour."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from purser.models.offline import dates
from purser.models.offline.cues import VAT_ZERO_QUESTION
from purser.models.offline.normalize import normalize

UNANCHORED = re.compile(VAT_ZERO_QUESTION.pattern.removeprefix("^"))
"""The cue as it was before anchoring: a search from every position of the message."""


ASKED = [
    "Our invoice shows 0% VAT — is that a mistake?",
    "Hi,\nthe last invoice has no VAT on it.\nIs that correct?",
    "why was I not charged any tax",
    "Thanks for the invoice.\nWhy does it say reverse charge instead of VAT? We are in Germany.",
    "Hello\n\nzero MwSt on our bill, is it right?",
]
"""Questions about an invoice without VAT, some over several lines (the anchor is per line)."""


def test_the_anchored_vat_cue_matches_exactly_the_messages_the_unanchored_one_did(known_texts: list[str]) -> None:
    messages = sorted({*known_texts, *ASKED})
    assert len(messages) > 2000
    matched = 0
    for text in messages:
        for form in (text, normalize(text)):
            anchored = VAT_ZERO_QUESTION.search(form) is not None
            assert anchored == (UNANCHORED.search(form) is not None), form
            matched += anchored
    assert matched >= len(ASKED)
    assert all(VAT_ZERO_QUESTION.search(normalize(text)) for text in ASKED)  # as the model reads them


_WORDS = st.sampled_from(
    ["vat", "tax", "0%", "0 %", "zero", "no vat", "without tax", "not charged any vat", "reverse", "why", "is it",
     "correct", "?", "wrong", "invoice", "hello", "\n", ".", "mwst", "n't", "x"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=14), st.text(max_size=20))
def test_anchoring_changes_no_answer_on_generated_text(words: list[str], noise: str) -> None:
    text = noise + " " + " ".join(words)
    assert (VAT_ZERO_QUESTION.search(text) is None) == (UNANCHORED.search(text) is None), repr(text)


def test_date_parses_are_memoized_on_the_text_and_the_day() -> None:
    text = "the charges of 3 october and the 1st of november, then last month"
    morning = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    first = dates.parse_dates(text, morning)
    before = dates._parse_dates.cache_info()
    again = dates.parse_dates(text, morning.replace(hour=20))  # the same day: the same spans, from the memo
    after = dates._parse_dates.cache_info()
    assert again is first and isinstance(first, tuple) and len(first) == 3
    assert after.hits == before.hits + 1
    assert dates.parse_dates(text, datetime(2027, 2, 1, tzinfo=UTC)) != first  # another day: parsed again
    assert after.maxsize is not None and after.maxsize <= 4096  # bounded
