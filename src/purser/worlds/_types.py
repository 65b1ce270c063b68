"""Field types of the world schema: yes/no booleans, UTC times, amounts, currencies, countries, VAT ids.

Each validator raises `ValueError` with a sentence that says what was expected; the schema turns
those into `WorldError` lines that name the file and the key path.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema

from purser.domain.dates import iso_utc
from purser.money import InvalidAmount, Money, normalize_currency

_YES = {"yes", "true", "on"}
_NO = {"no", "false", "off"}
_EXP_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LAST4_RE = re.compile(r"^\d{4}$")


def yes_no(value: Any) -> bool:
    """A boolean written as YAML `yes`/`no`/`true`/`false` (bare or quoted)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _YES | _NO:
        return value.strip().lower() in _YES
    raise ValueError(f"expected yes or no, got {value!r}")


def utc_time(value: Any) -> datetime:
    """An ISO 8601 time ("2026-11-16T00:00:00Z") or a date (midnight UTC), converted to UTC.

    A time without a zone is read as UTC (YAML timestamps without a zone are UTC too).
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValueError(f"expected an ISO 8601 time such as '2026-11-16T00:00:00Z', got {value!r}") from None
    else:
        raise ValueError(f"expected an ISO 8601 time such as '2026-11-16T00:00:00Z', got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def currency_code(value: Any) -> str:
    """A lowercase ISO 4217 code."""
    if not isinstance(value, str):
        raise ValueError(f"expected a 3-letter ISO 4217 currency code such as 'usd', got {value!r}")
    try:
        return normalize_currency(value)
    except InvalidAmount as exc:
        raise ValueError(str(exc)) from None


MAX_AMOUNT_MINOR = 10**15
"""The largest amount a world may hold, in minor units (10 trillion dollars): sums of amounts must still
fit the store's 64-bit integer columns."""


def amount_text(value: Any) -> str:
    """The text of an amount: a decimal string (an integer is accepted); never a float."""
    if isinstance(value, bool | float) or not isinstance(value, str | int):
        raise ValueError(f"expected a decimal string in major units such as '20.00' (quote it in YAML), got {value!r}")
    return str(value).strip()


def parse_amount(value: Any, info: ValidationInfo) -> Money:
    """An amount in the currency of the object it belongs to (its `currency` key, resolved beforehand)."""
    if isinstance(value, Money):
        return value
    text = amount_text(value)
    currency = info.data.get("currency")
    if not currency:
        raise ValueError(f"cannot read amount {text!r}: the object has no valid currency")
    try:
        money = Money.parse(text, currency)
    except InvalidAmount as exc:
        raise ValueError(
            f"expected a decimal amount in {currency.upper()} such as {_example(currency)}: {exc}"
        ) from None
    if money.is_negative:
        raise ValueError(f"expected a non-negative amount, got {text!r}")
    if money.minor > MAX_AMOUNT_MINOR:
        most = Money(MAX_AMOUNT_MINOR, currency).amount_str()
        raise ValueError(f"amount {text!r} is too large: at most {most} {currency.upper()}")
    return money


def _example(currency: str) -> str:
    return repr(Money.parse("20", currency).amount_str())


@cache
def _countries() -> frozenset[str]:
    from babel import Locale

    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha())


def country_code(value: Any) -> str:
    """An ISO 3166-1 alpha-2 country code, upper case."""
    if not isinstance(value, str) or value.strip().upper() not in _countries():
        raise ValueError(f"expected a two-letter ISO 3166 country code such as 'PT', got {value!r}")
    return value.strip().upper()


def vat_number(value: Any) -> str | None:
    """An EU VAT number that python-stdnum validates, in compact form ("FR40303265045")."""
    if value is None:
        return None
    from stdnum.eu import vat

    if not isinstance(value, str) or not vat.is_valid(value):
        raise ValueError(f"expected a valid EU VAT number such as 'DE136695976', got {value!r}")
    return str(vat.compact(value))


def card_expiry(value: Any) -> str:
    """A card expiry written `YYYY-MM`."""
    if not isinstance(value, str) or not _EXP_RE.match(value.strip()):
        raise ValueError(f"expected a card expiry 'YYYY-MM' such as '2028-04', got {value!r}")
    return value.strip()


def email_address(value: Any) -> str:
    """A plausible email address."""
    if not isinstance(value, str) or not _EMAIL_RE.match(value.strip()):
        raise ValueError(f"expected an email address such as 'ana@example.com', got {value!r}")
    return value.strip()


def last_four(value: Any) -> str:
    """Four digits as a string."""
    if not isinstance(value, str) or not _LAST4_RE.match(value):
        raise ValueError(f"expected four digits as a quoted string such as '4242', got {value!r}")
    return value


def non_empty(value: Any) -> str:
    """A string with something in it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value.strip()


YesNo = Annotated[bool, BeforeValidator(yes_no), WithJsonSchema({"type": "boolean"})]
UtcTime = Annotated[
    datetime,
    BeforeValidator(utc_time),
    PlainSerializer(iso_utc, return_type=str),
]
Currency = Annotated[str, BeforeValidator(currency_code)]
Amount = Annotated[
    Money,
    BeforeValidator(parse_amount),
    PlainSerializer(lambda m: m.amount_str(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$"}),
]
Country = Annotated[str, BeforeValidator(country_code)]
VatId = Annotated[str | None, BeforeValidator(vat_number)]
CardExpiry = Annotated[str, BeforeValidator(card_expiry)]
EmailAddress = Annotated[str, BeforeValidator(email_address)]
Last4 = Annotated[str, BeforeValidator(last_four)]
Text = Annotated[str, BeforeValidator(non_empty)]


__all__ = [
    "MAX_AMOUNT_MINOR",
    "Amount",
    "CardExpiry",
    "Country",
    "Currency",
    "EmailAddress",
    "Last4",
    "Text",
    "UtcTime",
    "VatId",
    "YesNo",
    "amount_text",
    "card_expiry",
    "country_code",
    "currency_code",
    "email_address",
    "last_four",
    "non_empty",
    "parse_amount",
    "utc_time",
    "vat_number",
    "yes_no",
]
