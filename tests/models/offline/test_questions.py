"""Questions, not requests: hypothetical policy questions go to the knowledge base, trial
questions are answered from the account, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from offline_fakes import Backend, Chat, account

from purser.models.offline.normalize import normalize
from purser.models.offline.replies import knowledge_query


@pytest.mark.parametrize(
    "message",
    [
        "Out of curiosity: if we stopped using the product, could we get a refund after three months?",
        "would I get my money back if I downgrade halfway through the month?",
        "Are there any penalties for cancelling early?",
        "is there a cost to pause my plan?",
        "not requesting anything, just wondering whether refunds are possible after 45 days",
        "Hypothetically, if I cancel today do I get the rest of the month refunded?",
    ],
)
def test_hypothetical_policy_question_searches_knowledge(message: str) -> None:
    chat = Chat()
    reply = chat.say(message)
    assert [name for name, _ in chat.backend.calls] == ["lookup_account", "search_knowledge"], message
    assert "30 days" in reply
    assert chat.backend.writes() == []


@pytest.mark.parametrize(
    ("message", "charge"),
    [
        ("can I get a refund for the October payment?", "ch_10"),
        ("refund my last charge please", "ch_11"),
    ],
)
def test_plain_refund_requests_still_refund(message: str, charge: str) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.writes() == [
        ("refund", {"charge_id": charge, "amount": None, "reason": "requested_by_customer"})
    ]


def _trialing() -> dict[str, Any]:
    data = account()
    data["subscription"].update(
        status="trialing", trial_end="2026-12-10T00:00:00Z", current_period_end="2026-12-10T00:00:00Z"
    )
    data["next_invoice"] = {"date": "2026-12-10T00:00:00Z", "amount": "20.00", "currency": "usd"}
    data["charges"], data["invoices"] = [], []
    return data


@pytest.mark.parametrize(
    "message",
    [
        "what day does the free trial finish?",
        "how many days until my trial runs out",
        "When do I actually start paying for this?",
        "when's the first payment going to be taken",
        "is my trial over already?",
    ],
)
def test_trial_question_answers_from_the_account(message: str) -> None:
    chat = Chat(Backend(account_data=_trialing()))
    reply = chat.say(message)
    assert chat.backend.calls == [("lookup_account", {})], message
    assert "December 10, 2026" in reply, reply


def test_actually_is_not_repaired_into_annually() -> None:
    assert "actually" in normalize("will I actually be charged").split()


@pytest.mark.parametrize(
    ("question", "query"),
    [
        (
            "Just a question, nothing to do yet: if we quit, could we have our money back after six weeks",
            "refund window if we quit, could we have our money back after six weeks",
        ),
        ("Out of curiosity, is there a penalty if I cancel", "cancellation is there a penalty if I cancel"),
        ("how does proration work", "how does proration work"),
    ],
)
def test_knowledge_query_drops_the_preamble_and_names_the_topic(question: str, query: str) -> None:
    assert knowledge_query(question, normalize(question)) == query
