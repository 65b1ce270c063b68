"""No false escalations: a failed payment the bank has fixed is a retry, an unused subscription is a
refund, a cancellation told as history is not a cancellation; real fraud signals still hand off."""

from __future__ import annotations

from typing import Any

import pytest
from offline_fakes import Backend, Chat, account


def _past_due() -> dict[str, Any]:
    data = account(past_due={"amount": "20.00", "currency": "usd", "invoices": ["in_12"]})
    data["invoices"].insert(0, dict(data["invoices"][0], id="in_12", number="PUR-0007", status="open"))
    return data


@pytest.mark.parametrize(
    "message",
    [
        "the payment didnt go through last time, my bank fixed it now, please charge again",
        "bank blocked the payment, it is sorted now. run it again",
        "card got declined, i talked to the bank, pls retry",
        "payment failed because of my bank, now ok. charge me again please",
    ],
)
def test_fixed_bank_problem_is_a_retry(message: str) -> None:
    chat = Chat(Backend(account_data=_past_due()))
    chat.say(message)
    assert chat.backend.writes() == [("retry_payment", {"invoice_id": None})], message


@pytest.mark.parametrize(
    "message",
    [
        "we signed up but never actually used it, could we get our money back for the last payment?",
        "nobody on the team ever used the tool, refund the last payment",
        "I forgot to cancel and we did not use it at all, refund the last charge please",
        "I thought I had cancelled my plan. refund the november charge",
    ],
)
def test_unused_subscription_is_a_refund(message: str) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.writes() == [
        ("refund", {"charge_id": "ch_11", "amount": None, "reason": "requested_by_customer"})
    ], message


@pytest.mark.parametrize(
    "message",
    ["I did not authorize this payment", "someone used my stolen card on your site"],
)
def test_real_fraud_signal_hands_off(message: str) -> None:
    chat = Chat()
    chat.say(message)
    assert [name for name, _ in chat.backend.writes()] == ["handoff"], message
