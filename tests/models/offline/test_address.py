"""Addresses: labelled lines, separate lines, country names in several languages, and partial
addresses that would mix with the old one (asked for in full, never proposed half-old)."""

from __future__ import annotations

import pytest
from offline_fakes import Chat

from purser.models.offline.address import address_gaps, country_code, parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Please change the billing address.\nStreet: 14 Harbour Lane\nTown: Galway\nPostcode: H91 E2K3\n"
            "Country: Ireland",
            ("14 Harbour Lane", "Galway", "H91 E2K3", "IE"),
        ),
        (
            "new details -> street: Via Roma 3, CAP: 00184, city: Roma, country: Italia",
            ("Via Roma 3", "Roma", "00184", "IT"),
        ),
        (
            "Country = Nederland; City = Utrecht; Zip = 3511 AB; Street = Oudegracht 90",
            ("Oudegracht 90", "Utrecht", "3511 AB", "NL"),
        ),
        (
            "Our office moved, the address is now:\n500 King St\nVancouver BC V6B 1A1\nCanada",
            ("500 King St", "Vancouver", "V6B 1A1", "CA"),
        ),
        ("billing address: 77 Elm Road, Leeds LS1 4AP, U.K.", ("77 Elm Road", "Leeds", "LS1 4AP", "GB")),
        (
            "set our address to 1 Infinite Loop, Cupertino, CA 95014, USA",
            ("1 Infinite Loop", "Cupertino", "95014", "US"),
        ),
        ("address: Rua Augusta 20, 1100-053 Lisboa, Portugal", ("Rua Augusta 20", "Lisboa", "1100-053", "PT")),
        (
            "the address should read Kungsgatan 2, 111 43 Stockholm, Sverige",
            ("Kungsgatan 2", "Stockholm", "111 43", "SE"),
        ),
    ],
)
def test_address_forms(text: str, expected: tuple[str | None, ...]) -> None:
    address = parse_address(text)
    assert address is not None, text
    assert (address["line1"], address["city"], address["postal_code"], address["country"]) == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [("Canada", "CA"), ("Deutschland", "DE"), ("the Netherlands", "NL"), ("UK", "GB"), ("USA", "US"),
     ("Österreich", "AT"), ("Espana", "ES"), ("Suisse", "CH"), ("Belgique", "BE"), ("fr", "FR"), ("Narnia", None)],
)  # fmt: skip
def test_country_names(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_no_label_leaks_into_a_field() -> None:
    address = parse_address("Street: 5 Long Acre\nCity: London\nPostal code: WC2E 9LH\nCountry: England")
    assert address == {"line1": "5 Long Acre", "city": "London", "postal_code": "WC2E 9LH", "country": "GB"}


OLD = {"line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "PT"}


@pytest.mark.parametrize(
    ("new", "gaps"),
    [
        ({"line1": None, "city": None, "postal_code": None, "country": "ES"}, ["line1", "postal_code", "city"]),
        ({"line1": None, "city": "Porto", "postal_code": None, "country": None}, ["line1", "postal_code"]),
        ({"line1": "9 New Street", "city": None, "postal_code": None, "country": None}, ["city"]),
        ({"line1": None, "city": None, "postal_code": "12346", "country": None}, []),
        ({"line1": "9 New Street", "city": "Porto", "postal_code": "4000", "country": "PT"}, []),
    ],
)
def test_gaps_that_would_mix_two_addresses(new: dict[str, str | None], gaps: list[str]) -> None:
    assert address_gaps(new, OLD) == gaps


def test_a_new_country_alone_asks_for_the_whole_address_then_merges_the_answer() -> None:
    chat = Chat()
    reply = chat.say("We have relocated to Spain, please update the billing address.")
    assert chat.backend.writes() == []
    assert "street" in reply and "postal code" in reply
    chat.say("Gran Via 12, 28013 Madrid")
    address = {"line1": "Gran Via 12", "city": "Madrid", "postal_code": "28013", "country": "ES"}
    assert chat.backend.writes() == [
        ("update_billing_details", {"name": None, "email": None, "vat_id": None, "address": address})
    ]


def test_labelled_lines_are_proposed_without_their_labels() -> None:
    chat = Chat()
    chat.say("Update our billing address please:\nstreet: 3 Quay Street\ncity: Dublin\nzip: D02 Y754\ncountry: Ireland")
    address = {"line1": "3 Quay Street", "city": "Dublin", "postal_code": "D02 Y754", "country": "IE"}
    assert chat.backend.writes() == [
        ("update_billing_details", {"name": None, "email": None, "vat_id": None, "address": address})
    ]
