"""Amounts the customer wrote that no refund can take: a table of rules, each with its examples.

A negative amount ("-20"), an exponent ("1e3") or more decimals than the currency has ("20.001" in
dollars) used to fall through to "the whole charge"; each is refused with a message that names
what is wrong and asks again, before any tool is called. The examples and counter-examples of
every rule are its tests (tests/models/offline/test_amount_rules.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["AMOUNT_RULES", "DECIMAL_POINT_CURRENCIES", "AmountRule", "amount_problem"]

DECIMAL_POINT_CURRENCIES = frozenset({"usd", "gbp", "cad", "aud", "nzd", "sgd", "hkd", "inr", "cny", "mxn", "jpy"})
"""Currencies whose customers write "1.50" for one and a half: there, "20.001" is not twenty thousand and one."""


@dataclass(frozen=True, slots=True)
class AmountRule:
    """One kind of malformed amount: where it is found, what the customer is told, examples both ways."""

    name: str
    pattern: re.Pattern[str]
    """Finds the amount as written (group `written`)."""
    message: str
    """What the customer reads; `{written}` is the amount as they wrote it."""
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    point_currencies_only: bool = False
    """Applies only to `DECIMAL_POINT_CURRENCIES` (elsewhere "1.500" is one thousand five hundred)."""


_SYM = r"[$€£¥]"
AMOUNT_RULES: tuple[AmountRule, ...] = (
    AmountRule(
        "negative",
        re.compile(
            rf"(?P<written>(?<![\w.,\d-])-{_SYM}?\s?\d[\d.,]*|{_SYM}\s?-\s?\d[\d.,]*|\bminus\s+{_SYM}?\s?\d[\d.,]*)"
        ),
        "A refund amount can't be negative (you wrote “{written}”). How much should I refund — for example 20.00?",
        ("Please refund -20 from my November charge.", "refund $-15 please", "give me -$5 back", "refund minus 10"),
        ("refund the charge of 2026-11-05", "it takes 5-10 days", "- $20.00 on November 5", "refund $20"),
    ),
    AmountRule(
        "exponent",
        re.compile(r"(?P<written>(?<![\w.])\d+(?:\.\d+)?e[+-]?\d+\b)", re.IGNORECASE),
        "I can't read “{written}” as an amount. Please write the amount out in full, for example 1000.00.",
        ("I want 1e3 back from my last payment", "refund 2.5E2 dollars"),
        ("refund invoice e2e-100", "refund $20 for the 3e plan"),
    ),
    AmountRule(
        "too_precise",
        re.compile(r"(?P<written>(?<![\d.,])\d+\.\d{3,}(?![\d.,]))"),
        "“{written}” has more decimals than a payment can have. How much should I refund, to the cent?",
        ("refund 20.001 of the last charge", "please refund $12.345"),
        ("refund $12.34", "refund 1,500.00", "refund 20.00 dollars"),
        point_currencies_only=True,
    ),
    AmountRule(
        "too_precise_anywhere",
        re.compile(r"(?P<written>(?<![\d.,])\d+[.,]\d{4,}(?![\d.,]))"),
        "“{written}” has more decimals than a payment can have. How much should I refund, to the cent?",
        ("refund 20,0001 euros", "refund 3.14159"),
        ("refund 1.500 euros", "refund 15,50 €"),
    ),
)
"""Checked in order on the customer's words; the first that matches answers."""


def amount_problem(text: str, currency: str | None) -> str | None:
    """The message naming what is wrong with an amount in `text`, or None when every amount is usable."""
    point = (currency or "usd").lower() in DECIMAL_POINT_CURRENCIES
    for rule in AMOUNT_RULES:
        if rule.point_currencies_only and not point:
            continue
        found = rule.pattern.search(text)
        if found:
            return rule.message.format(written=found.group("written").strip())
    return None
