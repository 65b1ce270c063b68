"""A share of a charge the customer asks back: "half of it", "a third", "25 %" — a table of rules.

"Could we get half of this month's charge back?" names an amount without writing it: the share of
the named charge. Each rule reads one way of writing a share (a word fraction, a percentage) as a
numerator and denominator; `share_minor` applies it to a charge in integer minor units, rounding
half up (a half cent goes to the customer, as the proration rounds to the minor unit), and never
gives more than the charge. Every rule's examples and counter-examples are tests
(tests/models/offline/test_shares.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SHARE_RULES", "ShareRule", "share_minor", "share_of"]


@dataclass(frozen=True, slots=True)
class ShareRule:
    """One way of writing a share of an amount, the fraction it means, examples both ways."""

    name: str
    pattern: re.Pattern[str]
    numerator: int
    denominator: int
    """For a percentage, the denominator is 100 and the numerator is read from group `pct`."""
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]


def _words(pattern: str) -> re.Pattern[str]:
    # "half of", "a third of", "one quarter of", "half the", "half our": a share followed by what it is of
    return re.compile(rf"\b(?:{pattern})(?= of\b| (?:the|this|that|my|our|it|its|what)\b)")


SHARE_RULES: tuple[ShareRule, ...] = (
    ShareRule(
        "three_quarters",
        _words(r"three quarters|three fourths|3/4"),
        3,
        4,
        ("give us three quarters of the last charge back", "refund 3/4 of it"),
        ("we use three of the seats",),
    ),
    ShareRule(
        "two_thirds",
        _words(r"two thirds|2/3"),
        2,
        3,
        ("refund two thirds of the november payment",),
        ("two of the thirds",),
    ),
    ShareRule(
        "half",
        _words(r"(?:a |one )?half|1/2"),
        1,
        2,
        ("could we get half of this month's $50 back?", "refund half the charge", "one half of it"),
        ("we left halfway through the month", "half a year", "the other half is fine"),
    ),
    ShareRule(
        "third",
        _words(r"(?:a |one )third|1/3"),
        1,
        3,
        ("refund a third of the last charge", "one third of it please"),
        ("the third charge", "on the third of november"),
    ),
    ShareRule(
        "quarter",
        _words(r"(?:a |one )(?:quarter|fourth)|1/4"),
        1,
        4,
        ("a quarter of the october payment back", "one fourth of it"),
        ("last quarter's invoice", "the fourth of october"),
    ),
    ShareRule(
        "percent",
        re.compile(r"(?<![\d.,])(?P<pct>\d{1,3})\s?(?:%|percent|per cent)(?= of\b| (?:the|this|that|my|our|it)\b)"),
        0,
        100,
        ("refund 30% of the last charge", "40 percent of it back", "25 % of the november payment"),
        ("20 % vat on the invoice", "we use 50% less", "150% of the charge"),
    ),
)
"""Checked in order on the customer's words (lowercased); the first that matches answers."""


def share_of(text: str) -> tuple[int, int] | None:
    """The share (numerator, denominator) of a charge that `text` asks for, or None.

    A percentage above 100 or of zero is no share of a charge: None (the amount is then asked).
    """
    for rule in SHARE_RULES:
        found = rule.pattern.search(text)
        if not found:
            continue
        if rule.name == "percent":
            pct = int(found.group("pct"))
            return (pct, 100) if 0 < pct <= 100 else None
        return rule.numerator, rule.denominator
    return None


def share_minor(charge_minor: int, share: tuple[int, int], remaining_minor: int | None = None) -> int:
    """`share` of `charge_minor` in minor units, rounded half up, never above the charge nor what remains of it."""
    numerator, denominator = share
    if charge_minor < 0 or denominator <= 0 or not 0 <= numerator <= denominator:
        raise ValueError("a share is a fraction between 0 and 1 of a non-negative charge")
    amount = (2 * charge_minor * numerator + denominator) // (2 * denominator)
    cap = charge_minor if remaining_minor is None else min(charge_minor, remaining_minor)
    return min(amount, cap)
