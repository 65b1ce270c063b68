"""Reference exchange rates for applying policy amounts across currencies.

The policy's amounts (`refunds.daily_budget`, a fixed `refunds.max_amount`) are in
`policy.currency`. A refund in another currency is measured against them after conversion at
these fixed reference rates — deliberately static and conservative: a cap converted into the
charge's currency rounds *down*, money already spent converted into it rounds *up*, so a
conversion can only make the envelope stricter, never looser. The account-wide daily budget
sums every currency refunded that day. Rates are units of the currency per one US dollar.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from purser.money import InvalidAmount, Money, currency_exponent, normalize_currency

REFERENCE_RATES_PER_USD: dict[str, Decimal] = {
    "usd": Decimal("1"),
    "eur": Decimal("0.92"),
    "gbp": Decimal("0.79"),
    "jpy": Decimal("150"),
    "chf": Decimal("0.88"),
    "cad": Decimal("1.37"),
    "aud": Decimal("1.52"),
    "nzd": Decimal("1.66"),
    "sek": Decimal("10.5"),
    "nok": Decimal("10.8"),
    "dkk": Decimal("6.87"),
    "pln": Decimal("3.98"),
    "czk": Decimal("23.2"),
    "huf": Decimal("360"),
    "inr": Decimal("83.5"),
    "brl": Decimal("5.0"),
    "mxn": Decimal("17.1"),
    "sgd": Decimal("1.35"),
    "hkd": Decimal("7.8"),
    "krw": Decimal("1350"),
    "cny": Decimal("7.2"),
    "zar": Decimal("18.5"),
    "kwd": Decimal("0.307"),
}
"""Fixed reference rates (currency units per USD)."""


def convert(amount: Money, to_currency: str, *, round_up: bool) -> Money:
    """`amount` in `to_currency` at the reference rates; `round_up` picks the conservative direction."""
    target = normalize_currency(to_currency)
    if amount.currency == target:
        return amount
    try:
        rate_from = REFERENCE_RATES_PER_USD[amount.currency]
        rate_to = REFERENCE_RATES_PER_USD[target]
    except KeyError as exc:
        raise InvalidAmount(f"no reference rate for {str(exc.args[0]).upper()}") from None
    major = amount.to_decimal() / rate_from * rate_to
    minor = (major.scaleb(currency_exponent(target))).to_integral_value(ROUND_CEILING if round_up else ROUND_FLOOR)
    return Money(int(minor), target)


def cap_in(amount: Money, currency: str) -> Money:
    """A policy cap expressed in `currency` (rounded down: never looser than the policy)."""
    return convert(amount, currency, round_up=False)


def spent_in(amount: Money, currency: str) -> Money:
    """Money already moved, counted in `currency` (rounded up: never under-counted)."""
    return convert(amount, currency, round_up=True)


__all__ = [
    "REFERENCE_RATES_PER_USD",
    "cap_in",
    "convert",
    "spent_in",
]
