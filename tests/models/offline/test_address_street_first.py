"""Addresses whose street type comes before the name and the number after it ("Avenida da Liberdade 110"),
an address typed as "adress", and one followed by another request in the same sentence."""

from __future__ import annotations

import pytest

from purser.models.offline.address import parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mudámos: Rua Augusta 24, 1100-053 Lisboa, Portugal. Podem atualizar a morada?",
         ("Rua Augusta 24", "Lisboa", "1100-053", "PT")),
        ("nueva sede: Calle de Serrano 41, 28001 Madrid, España, gracias",
         ("Calle de Serrano 41", "Madrid", "28001", "ES")),
        ("Office moved to Via Roma 5, 10121 Torino, Italy",
         ("Via Roma 5", "Torino", "10121", "IT")),
    ],
)  # fmt: skip
def test_a_street_type_first_address(text: str, expected: tuple[str, ...]) -> None:
    found = parse_address(text)
    assert found is not None
    assert (found["line1"], found["city"], found["postal_code"], found["country"]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new adress is 9 Elm Street, Boston MA 02108 and also when is my next invoice",
         ("9 Elm Street", "Boston", "02108")),
        ("our address is now 300 Pine St, Denver CO 80202 plus can you resend the receipt",
         ("300 Pine St", "Denver", "80202")),
    ],
)  # fmt: skip
def test_an_address_then_another_request(text: str, expected: tuple[str, ...]) -> None:
    found = parse_address(text)
    assert found is not None
    assert (found["line1"], found["city"], found["postal_code"]) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the rua was closed for works, we'll pay later",
        "via email please, 3 copies, thanks",
        "Avenida is a nice word, 12 of us like it, really",
    ],
)
def test_street_words_without_an_address_are_no_address(text: str) -> None:
    assert parse_address(text) is None
