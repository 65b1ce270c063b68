"""Plain one-line plan changes and invoice requests that carry a billing detail (issue 17)."""

from __future__ import annotations

import pytest
from offline_fakes import Backend, Chat, account


@pytest.mark.parametrize(
    "message",
    [
        "we don't need Pro anymore, Basic is enough",
        "put us back on basic",
        "go down a tier please",
        "take us off Pro and onto Basic",
        "Please drop us down to Basic.",
        "we'll go with Basic from now on",
    ],
)
def test_plain_downgrades(message: str) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.writes() == [("change_plan", {"plan": "basic-monthly"})], message


@pytest.mark.parametrize("message", ["is Basic enough for a team of two?", "what does Basic include?"])
def test_a_question_naming_a_plan_changes_nothing(message: str) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.writes() == [], message


def test_an_invoice_that_must_show_a_new_vat_id_updates_it_first() -> None:
    chat = Chat()
    chat.say("please send the October invoice again, it has to show our VAT id DE136695976")
    assert chat.backend.writes() == [
        ("update_billing_details", {"name": None, "email": None, "vat_id": "DE136695976", "address": None})
    ]
    chat.confirm(summary="Saved.")
    assert chat.backend.writes()[-1] == ("send_invoice", {"invoice": "in_10", "kind": "invoice"})


def test_an_invoice_with_the_vat_id_already_on_file_is_only_sent() -> None:
    data = account()
    data["customer"]["vat_id"] = "DE136695976"
    chat = Chat(Backend(account_data=data))
    chat.say("please send the October invoice again, it has to show our VAT id DE136695976")
    assert chat.backend.writes() == [("send_invoice", {"invoice": "in_10", "kind": "invoice"})]
