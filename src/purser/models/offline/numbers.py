"""Number and amount grammars: number words to digits, amounts with their currency.

Pure functions of (normalized) text. Amounts are exact `Decimal`s in major units as the
customer wrote them; turning them into minor units is `purser.money`'s job. CJK forms are
read too: "¥9,800", "9800円", "9,800 yen", "3万円" (30,000 yen), "5000元", "50000원".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from purser.text import ascii_twin

__all__ = ["AmountSlot", "numbers_from_words", "parse_amounts"]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
_UNIT_WORDS = (
    r"(?:seats?|users?|licen[cs]es?|members?|people|persons?|accounts?|months?|weeks?|days?|years?"
    r"|dollars?|euros?|pounds?|yen|more|fewer|less|extra|additional|new|of)"
)
_TENS_RE = re.compile(
    r"\b(" + "|".join(_TENS) + r")(?:[\s-]+(" + "|".join(k for k in _UNITS if 0 < _UNITS[k] < 10) + r"))?\b"
)
_UNITS_RE = re.compile(r"\b(" + "|".join(k for k in _UNITS if k != "one") + r")\b")
_ONE_RE = re.compile(r"\b(?:a|an|one|single)\s+(?=" + _UNIT_WORDS + r"\b)")


_COUPLE_RE = re.compile(r"\ba (?:couple|pair) of\b|\ba couple\b")
_DOZEN_RE = re.compile(r"\ba dozen\b")
_HALF_YEAR_RE = re.compile(r"\bhalf a year\b")


@lru_cache(maxsize=4096)
def numbers_from_words(text: str) -> str:
    """Replace number words by digits: "two" -> "2", "twenty five" -> "25", "a couple of" -> "2".

    "one" and "a"/"an" are only converted before a unit ("one month", "a month", "add one
    seat"), so "the extra one" keeps its meaning. Memoized (bounded): the classifier and the rules
    read the same clauses.
    """
    if "a " in text:  # every phrase below has one
        text = _COUPLE_RE.sub("2", text)
        text = _DOZEN_RE.sub("12", text)
        text = _HALF_YEAR_RE.sub("6 months", text)
    ascii_only = text.isascii()  # ASCII text is scanned with ASCII-only classes: the same matches, cheaper
    text = (_ONE_ASCII if ascii_only else _ONE_RE).sub("1 ", text)

    def tens(m: re.Match[str]) -> str:
        return str(_TENS[m.group(1)] + (_UNITS[m.group(2)] if m.group(2) else 0))

    if "ty" in text:  # every tens word ends so
        text = _TENS_RE.sub(tens, text)
    return (_UNITS_ASCII if ascii_only else _UNITS_RE).sub(lambda m: str(_UNITS[m.group(1)]), text)


_ONE_ASCII = ascii_twin(_ONE_RE)
_UNITS_ASCII = ascii_twin(_UNITS_RE)


# -- amounts ----------------------------------------------------------------------------
_SYMBOLS = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr", "₩": "krw", "₣": "chf"}
_CURRENCY_WORDS = {
    "dollars": "usd", "dollar": "usd", "usd": "usd", "euros": "eur", "euro": "eur", "eur": "eur",
    "pounds": "gbp", "pound": "gbp", "gbp": "gbp", "yen": "jpy", "jpy": "jpy", "chf": "chf",
    "francs": "chf", "cad": "cad", "aud": "aud", "sek": "sek", "kronor": "sek", "inr": "inr",
    "rupees": "inr", "bucks": "usd", "cents": "cents", "krw": "krw", "won": "krw", "cny": "cny",
    "yuan": "cny", "rmb": "cny",
}  # fmt: skip
_CJK_UNITS = {"円": "jpy", "元": "cny", "원": "krw"}
_CJK_MYRIAD = {"万": 10_000, "만": 10_000, "千": 1_000, "천": 1_000}


@dataclass(frozen=True, slots=True)
class AmountSlot:
    """An amount the customer wrote: exact decimal value and currency when one was named."""

    value: Decimal
    currency: str | None


def _to_decimal(number: str) -> Decimal | None:
    text = number.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", text):  # 1.500,50
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", text):  # 15,50
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


_NUM = r"\d+(?:[.,]\d+)*"
_AMOUNT_RES = (
    re.compile(r"(?P<sym>[$€£¥₹₩])\s?(?P<num>" + _NUM + r")"),
    re.compile(r"(?P<num>" + _NUM + r")\s?(?P<sym>[$€£¥₹₩])"),
    re.compile(r"(?P<man>\d+)\s?[万만]\s?(?P<num>\d+)\s?(?P<myriad>[千천])\s?(?P<cjk>[円元원])"),
    re.compile(r"(?P<num>" + _NUM + r")\s?(?P<myriad>[万만千천])?\s?(?P<cjk>[円元원])"),
    re.compile(r"\b(?P<word>usd|eur|gbp|jpy|chf|cad|aud|sek|inr|krw|cny|rmb)\s?(?P<num>" + _NUM + r")\b"),
    re.compile(r"\b(?P<num>" + _NUM + r")\s?(?P<word>" + "|".join(_CURRENCY_WORDS) + r")\b"),
)


def _currency(groups: dict[str, str | None]) -> str | None:
    return (
        _SYMBOLS.get(groups.get("sym") or "")
        or _CJK_UNITS.get(groups.get("cjk") or "")
        or _CURRENCY_WORDS.get(groups.get("word") or "")
    )


def parse_amounts(text: str) -> list[AmountSlot]:
    """Amounts with a currency marker: "$20", "20 bucks", "€15,50", "1500 yen", "usd 20", "50 cents", "9800円".

    A bare number is not an amount (it may be a day, a seat count or an invoice number).
    """
    return list(_amounts(text))


@lru_cache(maxsize=2048)
def _amounts(text: str) -> tuple[AmountSlot, ...]:
    # bounded memo: a turn's handlers read the amounts of the same few texts on every request
    found: list[tuple[int, AmountSlot]] = []
    taken: list[tuple[int, int]] = []
    for rx in _AMOUNT_RES:
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            value = _to_decimal(m.group("num"))
            if value is None:
                continue
            groups = m.groupdict()
            cur = _currency(groups)
            if groups.get("myriad"):
                value *= _CJK_MYRIAD[str(groups["myriad"])]
            if groups.get("man"):
                value += int(str(groups["man"])) * 10_000  # 1万2千円 = 12,000 yen
            if cur == "cents":
                value, cur = value / 100, None
            taken.append((m.start(), m.end()))
            found.append((m.start(), AmountSlot(value, cur)))
    for m in re.finditer(r"(?<![\d.,$€£¥-])\b(\d+[.,]\d{2})\b(?![\d.,]|\s?%)", text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        value = _to_decimal(m.group(1))
        if value is not None:
            taken.append((m.start(), m.end()))
            found.append((m.start(), AmountSlot(value, None)))
    return tuple(slot for _, slot in sorted(found, key=lambda item: item[0]))
