"""Errors of the knowledge base (the web layer maps `KnowledgeError` to 422)."""

from __future__ import annotations

from purser.errors import PurserError


class KnowledgeError(PurserError, ValueError):
    """A knowledge-base problem: the message names the file or folder and what is wrong."""

    code = "knowledge_error"
    status = 422


class DocumentError(KnowledgeError):
    """A path that cannot be ingested or an index that cannot be read."""

    code = "bad_document"


__all__ = [
    "DocumentError",
    "KnowledgeError",
]
