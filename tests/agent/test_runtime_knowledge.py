"""Knowledge in the context (whole KB when it fits, passages otherwise) and citations from search_knowledge."""

from __future__ import annotations

import json
from collections.abc import Callable

from agent_world import llm_settings

from purser.agent.context import build_context
from purser.agent.events import CustomerMessage
from purser.agent.prompts import policy_summary
from purser.app import Container
from purser.knowledge import sample_knowledge_base
from purser.policy.schema import Policy
from purser.testing.llm_server import LLMServer, openai_text, openai_tool_call, openai_tool_messages


def test_whole_kb_when_it_fits_and_citations(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    kb = sample_knowledge_base()
    rt = make_world(llm_settings(fake_openai), knowledge=kb).runtime
    fake_openai.push(
        openai_tool_call("search_knowledge", {"query": "refund window days"}),
        openai_text("Refunds are possible within the window."),
    )
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="How long do I have to ask for a refund?"))
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert "## Knowledge base (cite" in system and kb.full_text()[:200] in system
    tools = {t["function"]["name"] for t in fake_openai.requests[0]["tools"]}
    assert "search_knowledge" in tools
    result = json.loads(openai_tool_messages(fake_openai.requests[1])[0])
    assert result["passages"] and {"document", "heading", "text"} <= set(result["passages"][0])
    (message,) = events
    assert message.type == "message" and message.citations
    assert message.citations[0].document == result["passages"][0]["document"]


def test_passages_when_the_kb_does_not_fit(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    settings = llm_settings(fake_openai)
    small = settings.models[0].model_copy(update={"context_tokens": 1000})
    rt = make_world(settings.model_copy(update={"models": (small,)}), knowledge=sample_knowledge_base()).runtime
    fake_openai.push(openai_text("ok"))
    cid = rt.start("cus_ana")
    rt.handle(cid, CustomerMessage(text="How do I pause my subscription?"))
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert "## Knowledge base passages" in system and "## Knowledge base (cite" not in system
    assert "cancellation.md" in system


def test_search_knowledge_rejects_bad_arguments(fake_openai: LLMServer, make_world: Callable[..., Container]) -> None:
    rt = make_world(llm_settings(fake_openai), knowledge=sample_knowledge_base()).runtime
    fake_openai.push(
        openai_tool_call("search_knowledge", {"query": "", "top_k": 50}),
        openai_text("ok"),
    )
    cid = rt.start("cus_ana")
    rt.handle(cid, CustomerMessage(text="refund rules?"))
    retry = openai_tool_messages(fake_openai.requests[1])[0]
    assert "top_k" in retry and "query" in retry


def test_context_without_knowledge_or_account() -> None:
    ctx = build_context(policy=Policy(), knowledge=None, account=None, query="hi", budget_tokens=8000)
    assert ctx.kb_mode == "none" and "Refunds:" in ctx.instructions and "Account" not in ctx.instructions


class _PlainKnowledge:
    """A knowledge base that is not a `KnowledgeBase`: answered through its own `fits` and `full_text`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def full_text(self) -> str:
        self.calls += 1
        return self.text

    def fits(self, budget_tokens: int) -> bool:
        return len(self.text) // 4 <= budget_tokens

    def search(self, query: str, k: int = 3) -> list[object]:
        return []


def test_context_kept_texts_say_what_the_knowledge_base_and_policy_say() -> None:
    kb = sample_knowledge_base()
    policy = Policy()
    budget = 2 * kb.estimated_tokens() + 4000  # fits, with room to spare
    for _ in range(2):  # the second time from the kept texts
        ctx = build_context(policy=policy, knowledge=kb, account=None, query="refund", budget_tokens=budget)
        assert ctx.kb_mode == "full" and kb.full_text().strip() in ctx.instructions
        assert ctx.instructions.count("## Policy\n") == 1 and "Refunds:" in ctx.instructions
    changed = policy.model_copy(update={"refunds": policy.refunds.model_copy(update={"window_days": 7})})
    other = build_context(policy=changed, knowledge=None, account=None, query=None, budget_tokens=budget)
    assert "charges up to 7 days old" in other.instructions and policy_summary(changed) in other.instructions
    # Too small a budget: passages, as `KnowledgeBase.fits` says, whether the text is kept or not.
    small = build_context(policy=policy, knowledge=kb, account=None, query="pause subscription", budget_tokens=1000)
    assert small.kb_mode == "passages"
    plain = _PlainKnowledge("[faq]\nAnswers.")
    for _ in range(2):
        ctx = build_context(policy=policy, knowledge=plain, account=None, query=None, budget_tokens=8000)
        assert ctx.kb_mode == "full" and "Answers." in ctx.instructions
    assert plain.calls == 2  # not a `KnowledgeBase`: asked every time
