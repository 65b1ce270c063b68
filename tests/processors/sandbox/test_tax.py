"""The sandbox's tax table: EU rates, GB, no US tax, EU reverse charge, half-up integer rounding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.money import Money
from purser.processors.sandbox.tax import (
    DEFAULT_SELLER,
    EU_VAT_RATES,
    REVERSE_CHARGE_NOTE,
    TaxTable,
    is_valid_vat_id,
    tax_for,
)


def test_default_seller_is_an_irish_company_with_a_valid_vat_id() -> None:
    assert DEFAULT_SELLER.country == "IE"
    assert is_valid_vat_id(DEFAULT_SELLER.vat_id)


@pytest.mark.parametrize(
    ("buyer", "subtotal", "tax", "rate"),
    [
        ("PT", "20.00", "4.60", 2300),
        ("DE", "20.00", "3.80", 1900),
        ("FR", "12.34", "2.47", 2000),  # 2.468 -> 2.47
        ("GB", "10.00", "2.00", 2000),
        ("IE", "20.00", "4.60", 2300),
        ("HU", "0.01", "0.00", 2700),  # 0.0027 -> 0.00
        ("LU", "0.03", "0.01", 1700),  # 0.0051 -> 0.01
    ],
)
def test_buyer_country_rate(buyer: str, subtotal: str, tax: str, rate: int) -> None:
    result = tax_for("IE", buyer, None, Money.parse(subtotal, "eur"))
    assert result.tax == Money.parse(tax, "eur")
    assert result.rate_basis_points == rate
    assert result.note is None


def test_half_up_exactly_at_half() -> None:
    table = TaxTable({"PT": 2500})
    assert table.tax_for("IE", "PT", None, Money(2, "eur")).tax == Money(1, "eur")  # 0.5 -> 1
    assert table.tax_for("IE", "PT", None, Money(-2, "eur")).tax == Money(-1, "eur")  # away from zero


def test_no_tax_for_us_or_unknown_or_missing_country() -> None:
    for buyer in ("US", "JP", None, ""):
        result = tax_for("IE", buyer, None, Money(2000, "usd"))
        assert result.tax == Money.zero("usd") and result.rate_basis_points == 0 and result.note is None


def test_reverse_charge_for_a_valid_vat_id_in_another_eu_country() -> None:
    result = tax_for("IE", "FR", "FR40303265045", Money(2000, "eur"))
    assert result.tax == Money.zero("eur")
    assert result.rate_basis_points == 0
    assert result.note == REVERSE_CHARGE_NOTE
    assert tax_for("IE", "DE", "DE 136 695 976", Money(2000, "eur")).note == REVERSE_CHARGE_NOTE


def test_no_reverse_charge_in_the_sellers_country_or_with_an_invalid_id() -> None:
    same = tax_for("IE", "IE", "IE6388047V", Money(2000, "eur"))
    assert same.tax == Money(460, "eur") and same.note is None
    invalid = tax_for("IE", "FR", "FR00000000000", Money(2000, "eur"))
    assert invalid.tax == Money(400, "eur") and invalid.note is None
    gb = tax_for("IE", "GB", "DE136695976", Money(1000, "gbp"))  # GB is outside the EU
    assert gb.tax == Money(200, "gbp") and gb.note is None


def test_seller_outside_the_eu_charges_buyer_rate_without_reverse_charge() -> None:
    result = tax_for("US", "FR", "FR40303265045", Money(2000, "eur"))
    assert result.tax == Money(400, "eur")


def test_configurable_table() -> None:
    table = TaxTable().with_rates({"US": 825})
    assert table.tax_for("IE", "US", None, Money(10000, "usd")).tax == Money(825, "usd")
    no_rc = TaxTable(reverse_charge=False)
    assert no_rc.tax_for("IE", "FR", "FR40303265045", Money(2000, "eur")).tax == Money(400, "eur")
    with pytest.raises(ValueError, match="basis points"):
        TaxTable({"FR": 20.0})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="country code"):
        TaxTable({"france": 2000})


def test_jpy_has_no_minor_digits() -> None:
    assert tax_for("IE", "DE", None, Money(1500, "jpy")).tax == Money(285, "jpy")


@given(
    country=st.sampled_from(sorted(EU_VAT_RATES)),
    minor=st.integers(min_value=-(10**12), max_value=10**12),
)
def test_tax_is_exact_integer_half_up(country: str, minor: int) -> None:
    rate = EU_VAT_RATES[country]
    result = tax_for("IE", country, None, Money(minor, "eur"))
    exact = abs(minor) * rate
    expected = (exact // 10_000) + (1 if (exact % 10_000) * 2 >= 10_000 else 0)
    assert result.tax.minor == (expected if minor >= 0 else -expected)
