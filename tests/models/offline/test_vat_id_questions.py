"""Whether the invoices show the VAT id is a question about the account, answered from it (it is on file
as X / none is on file), never taken as a request to change the billing details."""

from __future__ import annotations

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.intents import Intent
from purser.models.offline.understand import understand

ASKED = [
    "Do my invoices show my VAT id?",
    "does our invoice show our VAT number?",
    "Is my VAT ID on my invoices?",
    "Will our VAT number appear on the invoices?",
    "hi, quick one: do the receipts include the tax id?",
    "is the VAT number printed on the invoice?",
]


def _with_vat(vat_id: str | None) -> Backend:
    data = account()
    data["customer"]["vat_id"] = vat_id
    return Backend(account_data=data)


@pytest.mark.parametrize("message", ASKED)
def test_a_customer_with_a_vat_id_hears_it_is_on_the_invoices(message: str) -> None:
    chat = Chat(_with_vat("DE136695976"))
    reply = chat.say(message)
    assert reply.startswith("Yes") and "DE136695976" in reply, reply
    assert "what should I change" not in reply
    assert chat.backend.calls == [("lookup_account", {})] and chat.backend.writes() == []


@pytest.mark.parametrize("message", ASKED)
def test_a_customer_without_one_hears_none_is_on_file(message: str) -> None:
    chat = Chat(_with_vat(None))
    reply = chat.say(message)
    assert reply.startswith("No") and "no VAT id on file" in reply, reply
    assert chat.backend.writes() == []


@pytest.mark.parametrize(
    "message",
    [
        "Do my invoices show my VAT id? It is DE136695976",  # the id given: saved (a card to confirm)
        "please update my VAT id on the invoices to DE136695976",
        "add our VAT number DE136695976 to the invoices",
    ],
)
def test_a_vat_id_given_is_still_a_change(message: str) -> None:
    assert Intent.UPDATE_BILLING in [r.intent for r in understand(message)], message


def test_the_question_is_an_account_question() -> None:
    assert [r.intent for r in understand("Do my invoices show my VAT id?")] == [Intent.ACCOUNT_QUESTION]
