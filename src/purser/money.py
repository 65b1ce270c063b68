"""Money: an integer number of minor units and a lowercase ISO 4217 currency.

No float ever touches an amount. Exponents come from babel's currency data
(JPY 0, USD 2, KWD 3); parsing accepts decimal strings in major units and
refuses anything that would need rounding; arithmetic refuses to mix
currencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

from purser.errors import PurserError

__all__ = [
    "CurrencyMismatch",
    "InvalidAmount",
    "Money",
    "currency_exponent",
    "normalize_currency",
]

_AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")


class InvalidAmount(PurserError, ValueError):
    """An amount or currency that cannot be represented exactly."""

    code = "invalid_amount"
    status = 422


class CurrencyMismatch(PurserError, ValueError):
    """Two amounts in different currencies were combined."""

    code = "currency_mismatch"
    status = 422


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(code.lower() for code in list_currencies())


_VALIDATED: dict[str, str] = {}
"""Inputs already validated by `_normalize_slow` → their lowercase code: the fast path of every
`Money` construction. Only 3-character inputs are kept (the ISO list's case variants), so the
table stays small whatever callers pass; anything else takes the full check each time."""


def normalize_currency(currency: str) -> str:
    """Return the lowercase ISO 4217 code, or raise `InvalidAmount` naming the bad value."""
    if type(currency) is str:  # a str subclass or a non-str takes the full check
        code = _VALIDATED.get(currency)
        if code is not None:
            return code
    return _normalize_slow(currency)


def _normalize_slow(currency: object) -> str:
    # The full check: a string, blanks stripped, lowercase, one of babel's ISO 4217 codes.
    if not isinstance(currency, str):
        raise InvalidAmount(f"currency must be a 3-letter ISO 4217 code, got {currency!r}")
    code = currency.strip().lower()
    if len(code) != 3 or code not in _known_currencies():
        raise InvalidAmount(f"unknown currency {currency!r}: expected an ISO 4217 code such as 'usd'")
    if len(currency) == 3 and type(currency) is str:
        _VALIDATED[currency] = code
    return code


@cache
def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of a currency (USD 2, JPY 0, KWD 3)."""
    return int(get_currency_precision(normalize_currency(currency).upper()))


@dataclass(frozen=True, order=False, slots=True)
class Money:
    """An exact amount: `minor` units (cents, yen, fils) of `currency`."""

    minor: int
    """Amount in minor units; negative for credits."""
    currency: str
    """Lowercase ISO 4217 code."""

    def __post_init__(self) -> None:
        minor = self.minor
        if type(minor) is not int and (isinstance(minor, bool) or not isinstance(minor, int)):
            raise InvalidAmount(f"minor units must be an integer, got {type(minor).__name__}")
        currency = self.currency
        code = normalize_currency(currency)
        if code != currency:  # already canonical (the usual case): no second write
            object.__setattr__(self, "currency", code)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Parse a decimal string in major units ("20.00", "1500" for JPY).

        Refuses more decimals than the currency has, exponents, floats and blanks.
        """
        cur = normalize_currency(currency)
        if isinstance(amount, bool | float):
            raise InvalidAmount(f"amount must be a decimal string, got {type(amount).__name__} {amount!r}")
        text = str(amount).strip().replace(",", "") if not isinstance(amount, Decimal) else format(amount, "f")
        if not _AMOUNT_RE.match(text):
            raise InvalidAmount(f"amount {amount!r} is not a decimal number like '20.00'")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
            raise InvalidAmount(f"amount {amount!r} is not a decimal number") from exc
        exp = currency_exponent(cur)
        scaled = value.scaleb(exp)
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(f"amount {amount!r} has more than {exp} decimal places for {cur.upper()}")
        return cls(int(scaled), cur)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in `currency`."""
        return cls(0, currency)

    # -- arithmetic -------------------------------------------------------------------
    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency.upper()} and {other.currency.upper()}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def times(self, factor: int) -> Money:
        """Multiply by an integer (a seat count)."""
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an integer")
        return Money(self.minor * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.minor >= other.minor

    @property
    def is_zero(self) -> bool:
        """True when the amount is exactly zero."""
        return self.minor == 0

    @property
    def is_negative(self) -> bool:
        """True for credits."""
        return self.minor < 0

    # -- presentation -----------------------------------------------------------------
    def to_decimal(self) -> Decimal:
        """The amount in major units as an exact Decimal."""
        return Decimal(self.minor).scaleb(-currency_exponent(self.currency))

    def amount_str(self) -> str:
        """Major units with exactly the currency's decimals: "20.00", "1500", "1.250"."""
        exp = currency_exponent(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**exp) if exp else (abs(self.minor), 0)
        return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"

    def format(self, locale: str | Locale = "en_US") -> str:
        """Locale-aware display, e.g. "$20.00", "20,00 €" (de_DE), "¥1,500"."""
        return str(format_currency(self.to_decimal(), self.currency.upper(), locale=locale))

    def __str__(self) -> str:
        return f"{self.amount_str()} {self.currency.upper()}"

    def to_json(self) -> dict[str, object]:
        """Wire form: minor units, currency and the decimal string."""
        return {"minor": self.minor, "currency": self.currency, "amount": self.amount_str()}


def sum_money(items: list[Money], currency: str) -> Money:
    """Sum a list of amounts in one currency (zero for an empty list)."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
