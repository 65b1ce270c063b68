"""The knowledge base: ingest (Markdown, HTML, PDF, text), BM25 retrieval, citations, policy lint.

kb = open_knowledge_base(settings)          # the configured KB, or the packaged sample
kb.search("can I get my money back?", k=3)  # -> [Passage(document, heading, text, score)]
kb.fits(budget_tokens) and kb.full_text()   # the whole KB in the prompt when it fits
findings = lint(settings.policy, kb, max_age_days=settings.kb_max_age_days)
kb_contradictions_block_writes(findings)    # serve --strict keeps writes off while True
"""

from purser.knowledge.base import DocumentInfo, KnowledgeBase, Passage
from purser.knowledge.documents import SUPPORTED_SUFFIXES, Document, Section
from purser.knowledge.errors import DocumentError, KnowledgeError
from purser.knowledge.lint import (
    DUNNING_MAX_RETRIES,
    DUNNING_RETRY_DAYS,
    Finding,
    kb_contradictions_block_writes,
    lint,
    stale_documents,
)
from purser.knowledge.location import (
    SAMPLE_DIR,
    index_dir,
    ingest,
    lint_settings,
    open_knowledge_base,
    sample_knowledge_base,
)
from purser.knowledge.tool import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    SearchKnowledgeArgs,
    answer_from_passages,
    citations_for,
    search_tool_result,
)

__all__ = [
    "DUNNING_MAX_RETRIES",
    "DUNNING_RETRY_DAYS",
    "SAMPLE_DIR",
    "SUPPORTED_SUFFIXES",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "Document",
    "DocumentError",
    "DocumentInfo",
    "Finding",
    "KnowledgeBase",
    "KnowledgeError",
    "Passage",
    "SearchKnowledgeArgs",
    "Section",
    "answer_from_passages",
    "citations_for",
    "index_dir",
    "ingest",
    "kb_contradictions_block_writes",
    "lint",
    "lint_settings",
    "open_knowledge_base",
    "sample_knowledge_base",
    "search_tool_result",
    "stale_documents",
]
