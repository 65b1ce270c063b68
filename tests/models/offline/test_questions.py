"""Questions, not requests: hypothetical policy questions go to the knowledge base, trial
questions are answered from the account, price questions from the catalogue or a preview, and
nothing is written; requests phrased as questions stay requests."""

from __future__ import annotations

from typing import Any

import pytest
from offline_fakes import Backend, Chat, account

from purser.knowledge import sample_knowledge_base
from purser.models.offline.normalize import normalize
from purser.models.offline.questions import info_only, is_polite_request, merge_conditions
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
    assert "10 December 2026" in reply, reply


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


# -- dialogue acts (questions.py): questions are answered, requests acted on --------------------------------------


def _kb_chat(data: dict[str, Any] | None = None) -> Chat:
    return Chat(Backend(account_data=data or account(), knowledge=sample_knowledge_base()))


@pytest.mark.parametrize(
    ("message", "fact"),
    [
        # refund timing
        ("how many business days before a refund lands back on my visa?", "5 to 10 business days"),
        ("the refund you sent last week still isn't showing in my bank, is that normal?", "5 to 10 business days"),
        ("when would I actually see the money from a refund?", "5 to 10 business days"),
        # pause limit
        ("is there a maximum length for putting my subscription on hold?", "up to 3 months"),
        ("how many months can a pause last at most?", "up to 3 months"),
        ("what's the max pause period?", "up to 3 months"),
        # price-change notice
        ("if you put up your prices, do I get told beforehand?", "30 days' notice"),
        ("do you notify customers before a price increase?", "30 days' notice"),
        ("how much notice do you give when prices change?", "30 days' notice"),
        # card storage
        ("are my card details saved anywhere on your side?", "never seen"),
        ("does purser ever see my credit card number?", "never seen"),
        ("is my card number stored in your database?", "never seen"),
        # dunning
        ("what happens when a renewal payment bounces?", "3, 5 and 7 days"),
        ("how often do you retry a declined card?", "3, 5 and 7 days"),
        ("if a charge gets declined will you attempt it again automatically?", "3, 5 and 7 days"),
        ("will my account get suspended straight away if my payment doesn't go through?", "access continues"),
        # reverse charge
        ("why wasn't VAT added to our last invoice?", "reverse-charge"),
        ("we're an EU company and our invoice shows no VAT, why is that?", "reverse-charge"),
        ("is it correct that there's zero tax on our bill?", "reverse-charge"),
        # plan-change and cancellation timing
        ("when I switch to a cheaper plan, when does the change happen?", "end of the current billing period"),
        ("if we downgrade, do we get a credit for the unused days?", "no refund or credit"),
        ("does an upgrade apply right away or at renewal?", "Upgrades take effect immediately"),
        ("if I cancel, how long do I keep access?", "keep full access until that date"),
        ("what happens to my access once I cancel?", "keep full access until that date"),
        ("how many refunds can I get in a year?", "one refund per customer in any 90-day period"),
        # terse and non-native wordings
        ("u guys store my card info?", "never seen"),
        ("is the vat 0 because we are business in germany?", "reverse-charge"),
        ("when do downgrade start, now or end of month?", "end of the current billing period"),
        ("Why haven't I gotten my refund yet?", "5 to 10 business days"),
        ("I was refunded on the 3rd, when will it show?", "5 to 10 business days"),
        ("pause max how long?", "up to 3 months"),
        ("any notice before price go up?", "30 days' notice"),
        ("what happens if i dont pay on time", "3, 5 and 7 days"),
    ],
)
def test_information_questions_answer_the_fact_from_the_knowledge_base(message: str, fact: str) -> None:
    chat = _kb_chat()
    reply = chat.say(message)
    assert [name for name, _ in chat.backend.calls] == ["lookup_account", "search_knowledge"], message
    assert fact in reply, reply
    assert chat.backend.writes() == []


@pytest.mark.parametrize(
    ("message", "answer"),
    [
        ("how much does the team plan cost per seat?", "Team costs $12.00 per seat per month"),
        ("what is the price of business?", "Business costs $50.00 per month."),
        ("what do your plans cost?", "- Basic (monthly, $10.00)"),
        ("how much is the pro plan", "Pro costs $20.00 per month — that's the plan you're on"),
    ],
)
def test_plan_price_questions_answer_from_the_catalogue(message: str, answer: str) -> None:
    chat = Chat()
    reply = chat.say(message)
    assert chat.backend.calls == [("lookup_account", {})], message
    assert answer in reply, reply


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ("just asking, how much extra for 4 more seats? don't change anything", {"plan": None, "quantity": 5}),
        ("i'm only asking: what would I pay today to go from pro to business", {"plan": "business-monthly",
                                                                                 "quantity": None}),
        ("how much would it cost to go yearly? just checking, not switching yet", {"plan": "pro-yearly",
                                                                                  "quantity": None}),
        ("out of curiosity, what would an upgrade to business cost me right now?", {"plan": "business-monthly",
                                                                                    "quantity": None}),
        ("If I upgrade to Business, how much will I pay today?", {"plan": "business-monthly", "quantity": None}),
    ],
)  # fmt: skip
def test_cost_of_a_change_is_a_preview_never_a_write(message: str, args: dict[str, Any]) -> None:
    chat = Chat()
    chat.say(message)
    assert chat.backend.calls == [("lookup_account", {}), ("preview_change", args)], message
    assert chat.backend.writes() == []


@pytest.mark.parametrize(
    "message",
    [
        "If I move from Business down to Basic, when does it switch, and is the rest of the month refunded? "
        "Just asking for now.",
        "Could you cancel the plan at the end of the month? Not doing it yet, I'm only asking how it works.",
        "What happens if I pause now? Please don't change anything.",
    ],
)
def test_only_asking_turns_every_write_into_a_question(message: str) -> None:
    chat = _kb_chat()
    chat.say(message)
    assert [name for name, _ in chat.backend.calls] == ["lookup_account", "search_knowledge"], message
    assert chat.backend.writes() == []


@pytest.mark.parametrize(
    ("message", "tool"),
    [
        ("can you refund the October charge?", "refund"),
        ("could you cancel my plan?", "cancel"),
        ("can I get a refund for the October payment?", "refund"),
        ("could you please pause my subscription for 2 months?", "pause"),
        ("would you resend my last invoice?", "send_invoice"),
        ("can we add 2 seats please?", "change_seats"),
        ("is it possible to refund my last payment?", "refund"),
        ("i'd like to cancel my subscription", "cancel"),
        ("Could you move me to the Business plan?", "change_plan"),
        ("Why did you charge me twice? Refund the extra one please.", "refund"),
        ("If the November charge is a duplicate, refund it", "refund"),
    ],
)
def test_requests_phrased_as_questions_stay_requests(message: str, tool: str) -> None:
    data = account()
    if "twice" in message:
        dup = dict(data["charges"][0], id="ch_11b", created="2026-11-01T00:03:00Z")
        data["charges"] = [dup, *data["charges"]]
    chat = Chat(Backend(account_data=data))
    chat.say(message)
    assert [name for name, _ in chat.backend.writes()] == [tool], (message, chat.backend.calls)


@pytest.mark.parametrize(
    ("text", "polite"),
    [
        ("could you cancel my plan", True),
        ("can i get a refund for the march charge", True),
        ("would i be able to pause for a month", True),
        ("can i cancel at any time", False),
        ("do you keep my card number", False),
        ("do i need to update my card", False),
    ],
)
def test_polite_request_detection(text: str, polite: bool) -> None:
    assert is_polite_request(normalize(text)) is polite


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("not doing it yet, only want the number", True),
        ("please do not change anything", True),
        ("just checking, not switching yet", True),
        ("no need to change anything else, we're happy", False),
        ("just cancel it", False),
    ],
)
def test_info_only_markers(text: str, only: bool) -> None:
    assert info_only(normalize(text)) is only


def test_a_bare_condition_joins_the_question_after_it() -> None:
    clauses = [
        ("if my renewal fails", "retry_payment", 0.6, "if my renewal fails"),
        ("what do you do", "unknown", 0.2, "what do you do"),
    ]
    assert merge_conditions(clauses) == [
        ("if my renewal fails, what do you do", "policy_question", 0.75, "if my renewal fails , what do you do")
    ]
