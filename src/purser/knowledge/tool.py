"""The `search_knowledge` read tool and a deterministic extractive answer for the offline model.

The runtime registers `search_tool_result` as a read tool and turns the passages it returned
into `Citation`s on the message of that turn (`citations_for`). The offline model answers
policy questions with `answer_from_passages`: the best one to three sentences of the top
passage, chosen by overlap with the question's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from purser.knowledge.base import KnowledgeBase, Passage, compact
from purser.knowledge.text import content_terms, split_sentences

if TYPE_CHECKING:  # the agent imports the knowledge base, not the other way round at import time
    from purser.agent.events import Citation

TOOL_NAME = "search_knowledge"
TOOL_DESCRIPTION = (
    "Search the company's billing policy, refund rules, plan-change, dunning, cancellation, VAT and "
    "terms documents. Returns the most relevant passages with their document and heading; cite them."
)
PASSAGE_CHARS = 500
"""Each passage's text is cut to about this many characters in tool results."""

PassageLike = Passage | Mapping[str, str]


class SearchKnowledgeArgs(BaseModel):
    """The tool's input, as the model sees it (strict: unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: str = Field(min_length=1, max_length=500, description="What to look up, in the customer's words.")


def search_tool_result(kb: KnowledgeBase, query: str, k: int = 3) -> dict[str, list[dict[str, str]]]:
    """`{"passages": [{"document", "heading", "text"}]}`, compact (~500 characters each), best first."""
    return {"passages": [p.to_dict(PASSAGE_CHARS) for p in kb.search(query, k)]}


def _fields(passage: PassageLike) -> tuple[str, str, str]:
    if isinstance(passage, Passage):
        return passage.document, passage.heading, passage.text
    return str(passage.get("document", "")), str(passage.get("heading", "")), str(passage.get("text", ""))


def citations_for(passages: Sequence[PassageLike], *, snippet_chars: int = 160) -> list[Citation]:
    """Citations (document, heading, short snippet) for passages or tool-result dicts, without repeats."""
    from purser.agent.events import Citation

    citations: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for passage in passages:
        document, heading, text = _fields(passage)
        if not document or (document, heading) in seen:
            continue
        seen.add((document, heading))
        citations.append(Citation(document=document, heading=heading, snippet=compact(text, snippet_chars)))
    return citations


def answer_from_passages(question: str, passages: Sequence[PassageLike], *, max_sentences: int = 3) -> str:
    """A deterministic extractive answer: the 1-3 sentences of the top passage that best match `question`.

    Sentences are scored by how many of the question's content words they share; the best one
    is kept with up to two more that also share words, in the passage's order. With no overlap
    the passage's opening sentence is returned; with no passages, an empty string.
    """
    if not passages:
        return ""
    _, heading, text = _fields(passages[0])
    sentences = [s.lstrip("- ").strip() for s in split_sentences(text)]
    sentences = [s for s in sentences if s]
    if not sentences:
        return ""
    wanted = content_terms(question) | content_terms(heading)
    question_terms = content_terms(question)
    scored = []
    for index, sentence in enumerate(sentences):
        terms = content_terms(sentence)
        overlap = len(terms & question_terms)
        context = len(terms & wanted)
        scored.append((overlap, context, -index))
    best = max(range(len(sentences)), key=lambda i: scored[i])
    if scored[best][0] == 0:
        return sentences[0]
    chosen = {best}
    ranked = sorted(range(len(sentences)), key=lambda i: scored[i], reverse=True)
    for index in ranked:
        if len(chosen) >= max_sentences:
            break
        if index not in chosen and scored[index][0] > 0 and abs(index - best) <= 2:
            chosen.add(index)
    return " ".join(sentences[i] for i in sorted(chosen))


__all__ = [
    "PASSAGE_CHARS",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "PassageLike",
    "SearchKnowledgeArgs",
    "answer_from_passages",
    "citations_for",
    "search_tool_result",
]
