"""Sales tax for the sandbox: a configurable rate table by country, with EU reverse charge.

Rates are integer basis points (2300 = 23%). Tax is computed on the subtotal in minor units with
integer arithmetic, rounded half-up (away from zero for credits). Rules, in order:

1. No rate for the buyer's country (the US by default, or no country): no tax.
2. Seller and buyer in two different EU countries and the buyer has a valid VAT id (python-stdnum,
   offline): reverse charge — no tax, and the invoice carries the reverse-charge note.
3. Otherwise the buyer country's rate (destination principle for B2C digital services in the EU).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from purser.money import Money

__all__ = [
    "DEFAULT_SELLER",
    "EU_COUNTRIES",
    "EU_VAT_RATES",
    "REVERSE_CHARGE_NOTE",
    "Seller",
    "TaxResult",
    "TaxTable",
    "is_valid_vat_id",
    "tax_for",
]

EU_VAT_RATES: dict[str, int] = {
    "AT": 2000,
    "BE": 2100,
    "BG": 2000,
    "CY": 1900,
    "CZ": 2100,
    "DE": 1900,
    "DK": 2500,
    "EE": 2400,
    "ES": 2100,
    "FI": 2550,
    "FR": 2000,
    "GR": 2400,
    "HR": 2500,
    "HU": 2700,
    "IE": 2300,
    "IT": 2200,
    "LT": 2100,
    "LU": 1700,
    "LV": 2100,
    "MT": 1800,
    "NL": 2100,
    "PL": 2300,
    "PT": 2300,
    "RO": 2100,
    "SE": 2500,
    "SI": 2200,
    "SK": 2300,
}
"""Standard VAT rates of the EU member states, in basis points."""

EU_COUNTRIES: frozenset[str] = frozenset(EU_VAT_RATES)
"""ISO 3166-1 codes of the EU member states (Greece is GR here; its VAT ids start with EL)."""

DEFAULT_RATES: dict[str, int] = {**EU_VAT_RATES, "GB": 2000}
"""The default table: EU standard rates and GB 20%; no tax for the US or anywhere not listed."""

REVERSE_CHARGE_NOTE = "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)."
"""Printed on invoices to EU businesses in another member state."""


@dataclass(frozen=True, slots=True)
class Seller:
    """Who issues the sandbox's invoices."""

    name: str = "Purser Demo Ltd"
    """Legal name."""
    line1: str = "1 Grand Canal Square"
    """Street."""
    city: str = "Dublin"
    """City."""
    postal_code: str = "D02 P820"
    """Postal code."""
    country: str = "IE"
    """ISO 3166-1 alpha-2."""
    vat_id: str | None = "IE6388047V"
    """The seller's VAT number."""
    email: str = "billing@purser.example"
    """Sender address of invoices."""


DEFAULT_SELLER = Seller()
"""An Irish company, the default seller."""


@dataclass(frozen=True, slots=True)
class TaxResult:
    """Tax on one subtotal."""

    tax: Money
    """Tax amount, same currency as the subtotal."""
    rate_basis_points: int
    """Rate applied (0 for none or reverse charge)."""
    note: str | None = None
    """Reverse-charge or exemption note to print on the invoice."""


def is_valid_vat_id(vat_id: str | None) -> bool:
    """True when python-stdnum accepts `vat_id` as an EU VAT number (checked offline)."""
    if not vat_id:
        return False
    from stdnum.eu import vat

    return bool(vat.is_valid(vat_id))


def _vat_country(vat_id: str) -> str:
    from stdnum.eu import vat

    prefix = str(vat.compact(vat_id))[:2].upper()
    return "GR" if prefix == "EL" else prefix


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


@dataclass(frozen=True, slots=True)
class TaxTable:
    """A rate table by buyer country, in basis points; countries not listed pay no tax."""

    rates: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RATES))
    """Country → basis points."""
    reverse_charge: bool = True
    """Apply the EU reverse charge to cross-border B2B sales."""

    def __post_init__(self) -> None:
        for country, rate in self.rates.items():
            if not (isinstance(country, str) and len(country) == 2 and country.isupper()):
                raise ValueError(f"tax rates: expected a two-letter upper-case country code, got {country!r}")
            if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= 10_000:
                raise ValueError(f"tax rates: {country}: expected basis points between 0 and 10000, got {rate!r}")

    def with_rates(self, overrides: Mapping[str, int]) -> TaxTable:
        """A copy with some countries' rates replaced or added."""
        return TaxTable({**self.rates, **overrides}, self.reverse_charge)

    def tax_for(self, seller_country: str, buyer_country: str | None, vat_id: str | None, subtotal: Money) -> TaxResult:
        """The tax on `subtotal` for a sale from `seller_country` to a buyer in `buyer_country`."""
        zero = Money.zero(subtotal.currency)
        buyer = (buyer_country or "").upper()
        seller = seller_country.upper()
        rate = self.rates.get(buyer)
        if rate is None:
            return TaxResult(zero, 0, None)
        if (
            self.reverse_charge
            and buyer in EU_COUNTRIES
            and seller in EU_COUNTRIES
            and buyer != seller
            and vat_id
            and is_valid_vat_id(vat_id)
            and _vat_country(vat_id) in EU_COUNTRIES
        ):
            return TaxResult(zero, 0, REVERSE_CHARGE_NOTE)
        tax = Money(_half_up(subtotal.minor * rate, 10_000), subtotal.currency)
        return TaxResult(tax, rate, None)


DEFAULT_TABLE = TaxTable()
"""EU standard rates, GB 20%, reverse charge on."""


def tax_for(seller_country: str, buyer_country: str | None, vat_id: str | None, subtotal: Money) -> TaxResult:
    """The tax on `subtotal` with the default table (see the module docstring for the rules)."""
    return DEFAULT_TABLE.tax_for(seller_country, buyer_country, vat_id, subtotal)
