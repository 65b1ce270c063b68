"""An address written out in a sentence, its country named in words (issue 17: the old country was kept)."""

from __future__ import annotations

import pytest

from purser.models.offline.address import parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We moved to Canada: 120 King Street West, Toronto, M5H 1J9, Canada. Please update the billing address.",
         ("120 King Street West", "Toronto", "M5H 1J9", "CA")),
        ("Our office is now at 7 Calle Mayor, 28013 Madrid, Spain — please change it on the invoices",
         ("7 Calle Mayor", "Madrid", "28013", "ES")),
        ("Nous avons déménagé : 12 rue de la Paix, 75002 Paris, France. Merci de mettre à jour la facturation.",
         ("12 rue de la Paix", "Paris", "75002", "FR")),
        ("Neue Anschrift ab sofort 4 Kastanienallee, 10435 Berlin, Deutschland, danke",
         ("4 Kastanienallee", "Berlin", "10435", "DE")),
    ],
)  # fmt: skip
def test_a_free_text_address_with_a_country_name(text: str, expected: tuple[str, ...]) -> None:
    found = parse_address(text)
    assert found is not None
    assert (found["line1"], found["city"], found["postal_code"], found["country"]) == expected


@pytest.mark.parametrize(
    "text",
    ["I paid 20 dollars, 3 times, on Monday, last week", "refund the 2 charges, the one from May, the one from June"],
)
def test_numbers_and_commas_without_a_country_are_no_address(text: str) -> None:
    assert parse_address(text) is None
