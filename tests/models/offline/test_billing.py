"""Billing-detail grammar: addresses keep every letter of their first word, unicode included."""

from __future__ import annotations

import pytest

from purser.models.offline.billing import extract_billing


@pytest.mark.parametrize(
    ("text", "line1", "city", "postal", "country"),
    [
        ("New billing address: Torstraße 1, 10119 Berlin, Germany.", "Torstraße 1", "Berlin", "10119", "DE"),
        ("our address is Isarstraße 5, 80331 München, Germany", "Isarstraße 5", "München", "80331", "DE"),
        ("set the address to Tõnismägi 3, 10119 Tallinn, Estonia", "Tõnismägi 3", "Tallinn", "10119", "EE"),
        ("address: Åsgatan 12, 11122 Stockholm, Sweden", "Åsgatan 12", "Stockholm", "11122", "SE"),
        ("the address should be Island Road 4, D02 Dublin, Ireland", "Island Road 4", "Dublin", "D02", "IE"),
        ("change address to: Asta 7, 1000 Ljubljana, Slovenia", "Asta 7", "Ljubljana", "1000", "SI"),
    ],
)
def test_address_keeps_its_first_word(text: str, line1: str, city: str, postal: str, country: str) -> None:
    address = extract_billing(text)["address"]
    assert address == {"line1": line1, "city": city, "postal_code": postal, "country": country}
