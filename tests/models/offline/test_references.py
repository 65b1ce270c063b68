"""Several invoices or charges in one request: one proposal per item, each confirmed on its own;
narrative dates ("you refunded me last month") are no reference to a charge."""

from __future__ import annotations

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.account import Account
from purser.models.offline.normalize import normalize
from purser.models.offline.references import invoice_items, refund_items, strip_narrative


def _acct() -> Account:
    return Account(account())


@pytest.mark.parametrize(
    ("message", "invoices"),
    [
        ("could you email me the September and October invoices?", ["in_09", "in_10"]),
        ("I need copies of invoices PUR-0002 and PUR-0004", ["in_07", "in_09"]),
        ("send the receipts for June, July and August please", ["in_06", "in_07", "in_08"]),
        ("the invoice from October please", []),  # one item: nothing to split
        ("send the invoice for October, I paid it in November", []),  # not a list of invoices
    ],
)
def test_invoice_items(message: str, invoices: list[str]) -> None:
    assert invoice_items(_acct(), normalize(message), message) == invoices


@pytest.mark.parametrize(
    ("message", "charges"),
    [
        ("refund the 1st of July and the 1st of August", ["ch_07", "ch_08"]),
        ("please refund invoices PUR-0005 and PUR-0006", ["ch_10", "ch_11"]),
        ("I want the September and October payments back", ["ch_09", "ch_10"]),
        ("refund the October charge", []),
    ],
)
def test_refund_items(message: str, charges: list[str]) -> None:
    assert refund_items(_acct(), normalize(message), message) == charges


@pytest.mark.parametrize(
    "text",
    [
        "you already refunded me 5 dollars in september",
        "we got 10 back in august",
        "we migrated to another service in july",
    ],
)
def test_narrative_clauses_carry_no_date(text: str) -> None:
    from purser.models.offline.dates import parse_dates

    assert parse_dates(strip_narrative(normalize(text)), _acct().now) == ()


def test_two_invoices_are_two_confirmations() -> None:
    chat = Chat()
    chat.say("For the accountant: please email both the August and the September invoice.")
    assert chat.backend.writes() == [("send_invoice", {"invoice": "in_08", "kind": "invoice"})]
    chat.confirm("yes")
    assert chat.backend.writes()[-1] == ("send_invoice", {"invoice": "in_09", "kind": "invoice"})
    assert len(chat.backend.writes()) == 2


def test_declining_the_first_item_still_offers_the_second() -> None:
    chat = Chat()
    chat.say("Refund invoices PUR-0005 and PUR-0006 please")
    chat.confirm("no")
    assert [args["charge_id"] for _, args in chat.backend.writes()] == ["ch_10", "ch_11"]


def test_a_past_refund_story_does_not_pick_the_charge() -> None:
    data = account()
    data["refunds"] = [{"id": "re_1", "charge": "ch_10", "amount": "5.00", "created": "2026-10-20T00:00:00Z"}]
    chat = Chat(Backend(account_data=data))
    chat.say("The November 1st charge, 20 dollars: please refund it. You already gave me 5 back in October.")
    assert chat.backend.writes() == [
        ("refund", {"charge_id": "ch_11", "amount": None, "reason": "requested_by_customer"})
    ]


def test_an_amount_in_one_clause_refunds_the_charge_another_clause_names() -> None:
    data = account()
    fee = {"id": "ch_fee", "amount": "90.00", "currency": "usd", "created": "2026-10-15T10:00:00Z",
           "invoice": "in_fee", "invoice_number": "PUR-0100", "status": "succeeded", "refunded": "0.00",
           "refundable": "90.00", "disputed": False}  # fmt: skip
    data["charges"].append(fee)
    invoice = {"id": "in_fee", "number": "PUR-0100", "created": "2026-10-15T10:00:00Z", "total": "90.00",
               "tax": "0.00", "currency": "usd", "status": "paid", "attempts": 1}  # fmt: skip
    data["invoices"].append(invoice)
    chat = Chat(Backend(account_data=data))
    chat.say(
        "About the migration fee from October 15 (invoice PUR-0100): the migration was only half done. "
        "Could we get 15 dollars back as a partial refund?"
    )
    assert chat.backend.writes() == [
        ("refund", {"charge_id": "ch_fee", "amount": "15.00", "reason": "requested_by_customer"})
    ]
