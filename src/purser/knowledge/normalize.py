"""Sentence normalization for the policy lint: numbers as digits, durations in days or months.

"Thirty days", "30 days", "a month" and "4 weeks" all become comparable `Duration`s;
"twenty-one" becomes 21; "once"/"twice" become counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from purser.knowledge.text import normalize_phrases

_UNITS_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORD = "|".join([*_TENS_WORDS, *_UNITS_WORDS, "hundred", "thousand"])
_NUMBER_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_NUMBER_WORD}))*\b")


def words_to_number(words: str) -> int | None:
    """`"two hundred and fifty"` -> 250; None when `words` is not a number."""
    total = 0
    current = 0
    seen = False
    for word in re.split(r"[\s-]+", words.strip()):
        if word == "and":
            continue
        if word in _UNITS_WORDS:
            current += _UNITS_WORDS[word]
        elif word in _TENS_WORDS:
            current += _TENS_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _replace_number_words(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        value = words_to_number(match.group(0))
        return match.group(0) if value is None else str(value)

    return _NUMBER_RUN.sub(repl, text)


_ONCE = re.compile(r"(?<!\bat )\bonce\b(?=\s+(?:a|an|per|every|each|in|within|during|over)\b|\s*[.,;:!?)]|\s*$)")


def normalize_sentence(sentence: str) -> str:
    """Lowercase, unify quotes and dashes, customer phrases mapped, numbers as digits, `1,000` -> `1000`."""
    text = normalize_phrases(sentence)
    text = text.replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", " - ")
    text = re.sub(r"\s+", " ", text)
    text = _replace_number_words(text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    # "once a year", "refunded once." count; "once your card is updated" does not.
    text = _ONCE.sub("1 times", text)
    text = re.sub(r"\btwice\b", "2 times", text)
    text = re.sub(r"\bthrice\b", "3 times", text)
    text = re.sub(r"\ba (?:single|sole)\b", "1", text)
    return text.strip()


UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90, "year": 365}
"""How many days a unit counts as ("a month" is 30 days)."""

DURATION = (
    r"(?:(?P<n>\d+)(?:\s*-\s*|\s+)(?:calendar\s+)?|an?\s+|1\s+)?(?P<unit>day|week|fortnight|month|quarter|year)s?\b"
)
"""A duration in a normalized sentence: `30 days`, `30-day`, `a month`, `3 months`."""


@dataclass(frozen=True)
class Duration:
    """A stated length of time."""

    amount: int
    unit: str

    @property
    def days(self) -> int:
        """In days: a month is 30 days, a year (or 12 months) 365."""
        if self.unit == "month" and self.amount % 12 == 0:
            return self.amount // 12 * 365
        return self.amount * UNIT_DAYS[self.unit]

    @property
    def months(self) -> int | None:
        """In whole months when that is what it says (or days/weeks that are a whole number of 30-day months)."""
        if self.unit == "month":
            return self.amount
        if self.unit == "quarter":
            return self.amount * 3
        if self.unit == "year":
            return self.amount * 12
        return self.days // 30 if self.days % 30 == 0 else None

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def duration_from(match: re.Match[str]) -> Duration:
    """The `Duration` captured by a pattern built on `DURATION`."""
    number = match.group("n")
    return Duration(int(number) if number else 1, match.group("unit"))


__all__ = [
    "DURATION",
    "UNIT_DAYS",
    "Duration",
    "duration_from",
    "normalize_sentence",
    "words_to_number",
]
