"""Several requests in one message: enumerations, '+' / '&' joins, and requests waiting behind a question."""

from __future__ import annotations

import pytest

from purser.models.offline.understand import _sentences, understand


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("two things: 1) send me the may invoice 2) cancel my plan", ["send_invoice", "cancel"]),
        ("1. refund the march charge 2. update my vat id to DE811907980", ["refund", "update_billing"]),
        ("a) pause us for 2 months b) email me the last receipt", ["pause", "send_invoice"]),
        ("(1) upgrade to Business (2) resend invoice INV-7", ["change_plan", "send_invoice"]),
        ("- switch to yearly billing\n- send the receipt for june", ["change_plan", "send_invoice"]),
        ("cancel + refund pls", ["cancel", "refund"]),
        ("refund the duplicate & send me the receipt", ["refund", "send_invoice"]),
    ],
)
def test_each_item_is_a_request(text: str, intents: list[str]) -> None:
    assert [r.intent for r in understand(text)] == intents, text


@pytest.mark.parametrize(
    "text",
    ["refund $15.50 of the charge", "what is line 3) on my invoice", "I have 2) questions about my bill"],
)
def test_a_lone_number_is_not_an_enumeration(text: str) -> None:
    assert len(_sentences(text)) == 1, _sentences(text)
