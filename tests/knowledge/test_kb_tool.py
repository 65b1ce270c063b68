"""The search_knowledge tool result, citations and the extractive answer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from purser.agent.events import AgentMessage, Citation
from purser.knowledge import (
    TOOL_NAME,
    SearchKnowledgeArgs,
    answer_from_passages,
    citations_for,
    sample_knowledge_base,
    search_tool_result,
)
from purser.knowledge.base import Passage


def test_tool_arguments_are_strict() -> None:
    assert TOOL_NAME == "search_knowledge"
    assert SearchKnowledgeArgs.model_validate({"query": "refund window"}).query == "refund window"
    for bad in ({}, {"query": ""}, {"query": "x", "customer_id": "cus_1"}):
        with pytest.raises(ValidationError):
            SearchKnowledgeArgs.model_validate(bad)


def test_search_tool_result_shape() -> None:
    result = search_tool_result(sample_knowledge_base(), "can I get my money back after 3 weeks?")
    passages = result["passages"]
    assert 1 <= len(passages) <= 3
    assert all(set(p) == {"document", "heading", "text"} for p in passages)
    assert all(len(p["text"]) <= 500 for p in passages)
    assert ("refunds.md", "Refund window") in {(p["document"], p["heading"]) for p in passages}
    assert "within 30 days" in passages[0]["text"]
    assert search_tool_result(sample_knowledge_base(), "zzzz") == {"passages": []}


def test_citations_travel_with_messages() -> None:
    result = search_tool_result(sample_knowledge_base(), "I was double charged")
    citations = citations_for(result["passages"] + result["passages"])
    assert len(citations) == len(result["passages"])  # no repeats
    assert citations[0] == Citation(document="refunds.md", heading="Duplicate charges", snippet=citations[0].snippet)
    assert len(citations[0].snippet) <= 160
    message = AgentMessage(text="A duplicate is refunded in full.", citations=citations)
    assert message.model_dump()["citations"][0]["document"] == "refunds.md"


def test_answer_picks_the_matching_sentences_of_the_top_passage() -> None:
    kb = sample_knowledge_base()
    question = "How long can I pause my subscription?"
    answer = answer_from_passages(question, kb.search(question))
    assert answer.startswith("You can pause for up to 3 months.")
    assert answer.count(".") <= 3
    question = "how many days do I have to ask for a refund?"
    assert "within 30 days" in answer_from_passages(question, search_tool_result(kb, question)["passages"])


def test_answer_is_deterministic_and_handles_edges() -> None:
    passage = Passage("a.md", "Cards", "We accept cards. Cash is not accepted. Cheques are fine too.", 1.0)
    assert answer_from_passages("do you take cash", [passage]) == "Cash is not accepted."
    assert answer_from_passages("zebra", [passage]) == "We accept cards."
    assert answer_from_passages("anything", []) == ""
    assert answer_from_passages("anything", [{"document": "a.md", "heading": "", "text": ""}]) == ""
    three = Passage("a.md", "", "Refunds take time. Refund windows are 30 days. Refund caps apply. Other.", 1.0)
    answer = answer_from_passages("refund window caps", [three])
    assert answer == "Refunds take time. Refund windows are 30 days. Refund caps apply."
