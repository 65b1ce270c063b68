"""Per-turn context: the instructions the model sees for one run.

System prompt, a short policy summary, the knowledge base (the whole text when it fits the
model's budget, otherwise the passages retrieved for the customer's message) and the verified
customer's account snapshot (`lookup_account` JSON, read fresh at the start of every run, so
after a write the model is told the new state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from purser.agent.prompts import SYSTEM_PROMPT, compact_json, policy_summary
from purser.policy.schema import Policy
from purser.text import estimate_tokens

__all__ = ["KnowledgeLike", "PassageLike", "TurnContext", "build_context", "estimate_tokens"]

PASSAGE_CHARS = 900
"""A retrieved passage is cut to this many characters in the prompt."""


class PassageLike(Protocol):
    """What the runtime reads of a `purser.knowledge.Passage`."""

    document: str
    heading: str
    text: str


class KnowledgeLike(Protocol):
    """What the runtime uses of `purser.knowledge.KnowledgeBase`."""

    def full_text(self) -> str:
        """Every section, with document and heading."""
        ...

    def fits(self, budget_tokens: int) -> bool:
        """True when the whole text fits `budget_tokens`."""
        ...

    def search(self, query: str, k: int = 3) -> list[Any]:
        """The best passages for `query`."""
        ...


@dataclass(frozen=True)
class TurnContext:
    """The instructions of one run and what went into them."""

    instructions: str
    kb_mode: Literal["full", "passages", "none"]
    passages: list[dict[str, str]] = field(default_factory=list)
    account: dict[str, Any] | None = None


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"


_KEPT_LIMIT = 64
# The policy's block depends only on the `Policy`, which is frozen: built once per policy object, not
# every turn. Keyed by identity; an entry holds its policy, so the id is not reused while kept.
_POLICY_BLOCKS: dict[int, tuple[Policy, str]] = {}


def _policy_block(policy: Policy) -> str:
    found = _POLICY_BLOCKS.get(id(policy))
    if found is not None and found[0] is policy:
        return found[1]
    block = "## Policy\n" + policy_summary(policy)
    if len(_POLICY_BLOCKS) >= _KEPT_LIMIT:
        _POLICY_BLOCKS.clear()
    _POLICY_BLOCKS[id(policy)] = (policy, block)
    return block


def build_context(
    *,
    policy: Policy,
    knowledge: KnowledgeLike | None,
    account: dict[str, Any] | None,
    query: str | None,
    budget_tokens: int,
    k: int = 3,
) -> TurnContext:
    """Assemble the instructions for a run within `budget_tokens` (the model's prompt budget)."""
    parts = [SYSTEM_PROMPT, _policy_block(policy)]
    account_block = ""
    if account is not None:
        account_block = "## Account of the verified customer (fresh)\n" + compact_json(account)
    used = sum(estimate_tokens(p) for p in parts) + estimate_tokens(account_block)
    # Keep room for the conversation and the tool results: the KB may use about half of what is left.
    kb_budget = max(0, (budget_tokens - used) // 2)
    kb_mode: Literal["full", "passages", "none"] = "none"
    passages: list[dict[str, str]] = []
    if knowledge is not None:
        if kb_budget > 0 and knowledge.fits(kb_budget):
            text = knowledge.full_text().strip()
            if text:
                kb_mode = "full"
                parts.append("## Knowledge base (cite the document when you use it)\n" + text)
        elif query:
            for passage in knowledge.search(query, k):
                passages.append(
                    {
                        "document": passage.document,
                        "heading": passage.heading,
                        "text": _cut(passage.text, PASSAGE_CHARS),
                    }
                )
            if passages:
                kb_mode = "passages"
                lines = [f"[{p['document']} > {p['heading']}] {p['text']}" for p in passages]
                parts.append("## Knowledge base passages (search_knowledge finds more)\n" + "\n".join(lines))
    if account_block:
        parts.append(account_block)
    return TurnContext(instructions="\n\n".join(parts), kb_mode=kb_mode, passages=passages, account=account)
