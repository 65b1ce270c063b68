"""Policy answers: the query leads with the topic's words, the answer is the sentence stating the fact."""

from __future__ import annotations

import pytest

from purser.knowledge import sample_knowledge_base, search_tool_result
from purser.models.offline.normalize import normalize
from purser.models.offline.policy_answers import policy_answer, policy_query


@pytest.mark.parametrize(
    ("question", "message", "lead"),
    [
        ("how long does that take", "they refunded me on monday and it's not on my card. how long does that take",
         "refund when the money arrives"),
        ("what is the longest pause", "what is the longest pause", "how long a pause can last"),
        ("why is there no VAT", "why is there no VAT", "reverse charge"),
        ("what happens", "if my card payment is declined, what happens", "failed payment retry schedule"),
    ],
)  # fmt: skip
def test_query_leads_with_the_topic_read_from_the_whole_message(question: str, message: str, lead: str) -> None:
    assert policy_query(question, normalize(question), message).startswith(lead)


def test_query_without_a_known_topic_is_the_question() -> None:
    assert policy_query("how does proration work", "how does proration work", "how does proration work") == (
        "how does proration work"
    )


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("how many days does a refund need to reach my card?", "5 to 10 business days"),
        ("what's the maximum time I can freeze my plan?", "up to 3 months"),
        ("do you tell us before the price goes up?", "30 days' notice"),
        ("do you hold on to my card number?", "never seen by Purser"),
        ("how many times do you try a failed payment again?", "3 times: 3, 5 and 7 days"),
        ("why is our invoice without VAT?", "reverse-charge mechanism"),
    ],
)
def test_answer_is_the_sentence_with_the_fact(question: str, fact: str) -> None:
    kb = sample_knowledge_base()
    result = search_tool_result(kb, policy_query(question, normalize(question), question))
    answer = policy_answer(question, question, result)
    assert fact in answer, answer
    assert answer.count(". ") <= 2, answer  # one or two sentences, not the whole section


def test_yes_no_answer_keeps_the_documents_own_no() -> None:
    passages = {
        "passages": [
            {"document": "faq.md", "heading": "Do you store my card number?", "text": "No. Cards are kept only "
             "on the payment provider's secure page."}
        ]
    }  # fmt: skip
    assert policy_answer("do you store my card?", "do you store my card?", passages).startswith("No. Cards")


def test_without_a_recognised_facet_the_extractive_answer_is_used() -> None:
    passages = {"passages": [{"document": "a.md", "heading": "Proration", "text": "Proration is exact. It is fair."}]}
    assert policy_answer("how does proration work", "how does proration work", passages) == "Proration is exact."


def test_no_passages_offers_a_teammate() -> None:
    assert "teammate" in policy_answer("how long does a refund take", "how long does a refund take", {"passages": []})
