"""A message that corrects the quote the agent just proposed (still awaiting confirmation, or declined).

The correction replaces the quote's values; relative values stay relative to the account, not to the
quote ("add 2 seats" then "make that 3 more instead" on 5 seats is 8, not 10); a reference taken back
("October, not September") is dropped; a follow-up on the same request ("oh and the July one") is a
new quote of its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from offline_fakes import Backend, Chat, account


def _team(seats: int = 5) -> Backend:
    data = account()
    data["subscription"]["plan"] = data["plans"][3]  # Team, per seat
    data["subscription"]["quantity"] = seats
    return Backend(account_data=data)


def _last_write(chat: Chat) -> tuple[str, dict[str, Any]]:
    return chat.backend.writes()[-1]


@pytest.mark.parametrize(
    ("first", "correction", "quantity"),
    [
        ("add 2 seats", "sorry, make that 3 more instead", 8),
        ("add 2 seats", "actually we need 8 in total", 8),
        ("remove 2 seats", "wait, only 1 fewer", 4),
        ("we need three more seats", "oops, I meant two more, not three", 7),
        ("set us to 9 seats", "hmm make it 6", 6),
    ],
)
def test_a_seat_correction_replaces_the_pending_quote(first: str, correction: str, quantity: int) -> None:
    chat = Chat(_team(5))
    chat.say(first)
    chat.say(correction)
    assert _last_write(chat) == ("change_seats", {"quantity": quantity}), correction
    assert len(chat.backend.writes()) == 2


def test_a_correction_after_a_declined_quote() -> None:
    chat = Chat(_team(5))
    chat.say("please add 4 seats")
    chat.confirm(decision="no")
    chat.say("sorry, 2 more is what I meant")
    assert _last_write(chat) == ("change_seats", {"quantity": 7})


def test_a_confirmed_change_is_not_corrected_by_a_later_fragment() -> None:
    chat = Chat(_team(5))
    chat.say("add 2 seats")
    chat.confirm(summary="Done.")
    chat.backend.account_data["subscription"]["quantity"] = 7
    chat.say("and one more seat please")
    assert _last_write(chat) == ("change_seats", {"quantity": 8})  # relative to the account as it is now


@pytest.mark.parametrize(
    ("first", "correction", "charge"),
    [
        ("refund my September charge please", "actually no, October, not September", "ch_10"),
        ("refund the August payment", "sorry, wrong month: the one from July", "ch_07"),
        ("please refund invoice PUR-0004", "oops, PUR-0005 I mean", "ch_10"),
    ],
)
def test_a_refund_reference_correction(first: str, correction: str, charge: str) -> None:
    chat = Chat()
    chat.say(first)
    chat.say(correction)
    write = _last_write(chat)
    assert write[0] == "refund" and write[1]["charge_id"] == charge, correction


def test_switching_between_two_quoted_options() -> None:
    chat = Chat()
    chat.say("switch me to Business")
    chat.say("hmm, Basic instead")
    assert _last_write(chat) == ("change_plan", {"plan": "basic-monthly"})
    chat.say("no wait, the yearly Pro")
    assert _last_write(chat) == ("change_plan", {"plan": "pro-yearly"})


def test_pause_length_correction() -> None:
    chat = Chat()
    chat.say("can you pause my plan for 2 months")
    chat.say("make it 3 months instead")
    assert _last_write(chat) == ("pause", {"months": 3})


def test_the_same_request_on_another_reference_while_a_quote_waits() -> None:
    chat = Chat()
    chat.say("email me the August invoice")
    chat.say("oh and the July one")
    assert [w[1]["invoice"] for w in chat.backend.writes()] == ["in_08", "in_07"]


@pytest.mark.parametrize("message", ["thanks", "what happens after I confirm?", "can I talk to a human?"])
def test_a_message_without_a_new_value_is_no_correction(message: str) -> None:
    chat = Chat(_team(5))
    chat.say("add 2 seats")
    chat.say(message)
    assert [w for w in chat.backend.writes() if w[0] == "change_seats"] == [("change_seats", {"quantity": 7})]


@pytest.mark.parametrize(
    ("question", "answer", "plan"),
    [
        ("what would Business cost? and Basic?", "Basic then", "basic-monthly"),
        ("How much is Business per month? And the yearly Pro?", "the yearly one then please", "pro-yearly"),
        ("how much would it be to go to business? what about basic?", "ok the second one", "basic-monthly"),
        ("how much would it be to go to business? what about basic?", "the cheaper one", "basic-monthly"),
        ("how much would it be to go to business? what about basic?", "the first one please", "business-monthly"),
    ],
)
def test_picking_one_of_two_priced_options(question: str, answer: str, plan: str) -> None:
    chat = Chat()
    reply = chat.say(question)
    assert chat.backend.writes() == [], reply  # a question about two plans changes nothing
    chat.say(answer)
    assert chat.backend.writes() == [("change_plan", {"plan": plan})], answer


def test_an_elliptical_clause_repeats_the_question_not_a_request() -> None:
    from purser.models.offline.understand import understand

    names = ("Basic", "Pro", "Business", "Team")
    for text in ("what does the team plan cost? and business?", "how much is Business? what about Basic?"):
        intents = {r.intent for r in understand(text, names)}
        assert "change_plan" not in intents, text


@pytest.mark.parametrize("answer", ["ok switch me then", "yes please", "sounds good, let's do it"])
def test_taking_the_one_plan_just_priced(answer: str) -> None:
    chat = Chat()
    chat.say("how much is business?")
    chat.say(answer)
    assert chat.backend.writes() == [("change_plan", {"plan": "business-monthly"})], answer


def test_a_bare_number_after_a_seat_quote_stays_relative_to_the_account() -> None:
    chat = Chat(_team(5))
    chat.say("how much would 3 more seats cost?")
    chat.say("hmm, and 2?")
    previews = [c for c in chat.backend.calls if c[0] == "preview_change"]
    assert previews[-1] == ("preview_change", {"plan": None, "quantity": 7})  # 5 + 2, not 8 + 2 or 2
    chat.say("ok 2 then")
    assert chat.backend.writes() == [("change_seats", {"quantity": 7})]


def test_the_other_document_of_the_invoice_just_sent() -> None:
    chat = Chat()
    chat.say("send me the October invoice")
    chat.confirm(summary="Sent.")
    chat.say("actually the receipt, not the invoice")
    assert chat.backend.writes()[-1] == ("send_invoice", {"invoice": "in_10", "kind": "receipt"})


@pytest.mark.parametrize(
    ("ask", "amount", "partial"),
    [
        ("I'd like a partial refund of the November charge", "$5", "5.00"),
        ("can I get part of my last payment back?", "10 dollars please", "10.00"),
    ],
)
def test_a_partial_refund_asks_how_much_and_the_amount_fills_it(ask: str, amount: str, partial: str) -> None:
    chat = Chat()
    reply = chat.say(ask)
    assert chat.backend.writes() == [] and "How much" in reply  # never the whole charge for "partial"
    chat.say(amount)
    assert chat.backend.writes() == [("refund", {"charge_id": "ch_11", "amount": partial,
                                                  "reason": "requested_by_customer"})]  # fmt: skip


def test_a_bare_vat_id_answers_the_question_and_corrects_the_last_one() -> None:
    chat = Chat()
    chat.say("please update my VAT id")
    chat.say("DE136695976")
    assert chat.backend.writes()[-1][1]["vat_id"] == "DE136695976"
    refused = {"status": "refused", "summary": "That VAT id is not valid.", "reason": "invalid_vat_id"}
    chat = Chat(Backend(outcomes={"update_billing_details": [refused]}))
    chat.say("our VAT number is DE136695970")
    chat.say("sorry, typo: DE136695976")
    assert chat.backend.writes()[-1][1]["vat_id"] == "DE136695976"


def test_an_invoice_number_that_is_not_on_the_account_is_asked_about() -> None:
    chat = Chat()
    reply = chat.say("please resend invoice PUR-0099")
    assert chat.backend.writes() == [] and "PUR-0099" in reply
    chat.say("sorry, PUR-0004")
    assert chat.backend.writes() == [("send_invoice", {"invoice": "in_09", "kind": "invoice"})]


@pytest.mark.parametrize(
    "message",
    [
        "I want a full refund of the November charge. Not a partial one, the whole amount please",
        "refund the November charge, the full amount please, not part of it",
    ],
)
def test_a_full_refund_that_mentions_partial_is_not_asked_how_much(message: str) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.writes() == [("refund", {"charge_id": "ch_11", "amount": None,
                                                  "reason": "requested_by_customer"})]  # fmt: skip
