"""A receipt request sends the paid invoice's receipt (kind "receipt"); an invoice request sends the invoice."""

from __future__ import annotations

import pytest
from offline_fakes import Chat


@pytest.mark.parametrize(
    ("message", "invoice", "kind"),
    [
        ("Could I have a receipt for my most recent payment?", "in_11", "receipt"),
        ("need the October receipt for my expense report", "in_10", "receipt"),
        ("pls email proof of payment for the september charge", "in_09", "receipt"),
        ("send me the invoice for october", "in_10", "invoice"),
    ],
)
def test_receipt_or_invoice(message: str, invoice: str, kind: str) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.writes() == [("send_invoice", {"invoice": invoice, "kind": kind})], message
