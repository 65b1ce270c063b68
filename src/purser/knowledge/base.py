"""`KnowledgeBase`: sections of documents, a persisted BM25 index (bm25s), the whole text.

Context strategy: when `fits(budget_tokens)` the runtime puts `full_text()` in the prompt;
otherwise it retrieves with `search(query, k)`. Both carry document + heading so citations
(`purser.agent.events.Citation`) travel with the agent's messages.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from purser.knowledge.documents import Document, Section, iter_document_paths, load_document
from purser.knowledge.errors import DocumentError
from purser.knowledge.text import estimate_tokens, tokenize

MANIFEST = "manifest.json"
INDEX_PREFIX = "bm25-"
FORMAT_VERSION = 1
HEADING_BONUS = 0.5
"""A section's score grows by up to half when its heading holds the query's words."""

_SECTION_NUMBER = re.compile(r"^\s*(?:§\s*)?\d+(?:\.\d+)*\.?\s+")

logging.getLogger("bm25s").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Passage:
    """A retrieved section: where it is from, its text and its BM25 score."""

    document: str
    heading: str
    text: str
    score: float

    def to_dict(self, max_chars: int | None = None) -> dict[str, str]:
        """`{"document", "heading", "text"}`, the text cut to `max_chars` at a word boundary."""
        return {"document": self.document, "heading": self.heading, "text": compact(self.text, max_chars)}


def compact(text: str, max_chars: int | None) -> str:
    """Whitespace collapsed; cut at a word boundary with an ellipsis when longer than `max_chars`."""
    flat = " ".join(text.split())
    if max_chars is None or len(flat) <= max_chars:
        return flat
    cut = flat[: max_chars - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


@dataclass(frozen=True)
class DocumentInfo:
    """What the index remembers about a document (for lint and listings)."""

    name: str
    title: str
    updated: dt.date | None
    modified: dt.date | None
    sections: int

    @property
    def as_of(self) -> dt.date | None:
        """`updated` from the document, else the file's modification date."""
        return self.updated or self.modified


Progress = Callable[[str], None]
"""Called with each file name as it is read (the CLI advances a progress bar)."""


class KnowledgeBase:
    """Documents chunked into sections, with a BM25 index over them."""

    def __init__(self, documents: Iterable[Document]) -> None:
        docs = sorted(documents, key=lambda d: d.name)
        self.documents: tuple[DocumentInfo, ...] = tuple(
            DocumentInfo(d.name, d.title, d.updated, d.modified, len(d.sections)) for d in docs
        )
        self.sections: tuple[Section, ...] = tuple(s for d in docs for s in d.sections)
        self._titles = {d.name: d.title for d in docs}
        self._headings = _heading_terms(self.sections)
        self._retriever: Any = None
        self._full_text: tuple[tuple[Section, ...], str] | None = None
        if self.sections:
            import bm25s  # imported on first use: it pulls in scipy

            self._retriever = bm25s.BM25()
            self._retriever.index([self._index_tokens(s) for s in self.sections], show_progress=False)

    def _index_tokens(self, section: Section) -> list[str]:
        # The heading counts twice: it says what the section is about. (The document title is
        # left out: shared by every section of a document, it blurs them together.)
        heading = _SECTION_NUMBER.sub("", section.heading)
        return tokenize(f"{heading} {heading} {section.text}") or ["_empty_"]

    # -- building ------------------------------------------------------------------------
    @classmethod
    def from_paths(cls, paths: Iterable[Path], *, progress: Progress | None = None) -> KnowledgeBase:
        """Read every supported file at `paths` (files or folders); `DocumentError` on a bad path."""
        return cls(read_documents(paths, progress=progress))

    @classmethod
    def open(cls, kb_path: Path | None = None, *, index_dir: Path | None = None) -> KnowledgeBase:
        """`kb_path` (an index or a folder of documents) if given, else the index ingested at
        `index_dir`, else the packaged sample KB. Cached per process until the files change."""
        from purser.knowledge.location import open_folder

        return open_folder(kb_path, index_dir)

    # -- persistence ---------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the sections, document list and bm25s index into `folder` (created if needed)."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT_VERSION,
            "documents": [
                {**asdict(d), "updated": _iso(d.updated), "modified": _iso(d.modified)} for d in self.documents
            ],
            "titles": self._titles,
            "sections": [asdict(s) for s in self.sections],
        }
        # A new index folder per save, then the manifest is swapped atomically: readers see either
        # the old index or the new one, never a half-written one.
        index = f"{INDEX_PREFIX}{uuid.uuid4().hex[:12]}"
        manifest["index"] = index if self._retriever is not None else None
        if self._retriever is not None:
            self._retriever.save(str(folder / index), show_progress=False)
        tmp = folder / f"{MANIFEST}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / MANIFEST)
        for old in folder.glob(f"{INDEX_PREFIX}*"):
            if old.is_dir() and old.name != index:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KnowledgeBase:
        """Open an index written by `save`; `DocumentError` when `folder` holds none."""
        path = folder / MANIFEST
        if not path.is_file():
            raise DocumentError(f"{folder}: no knowledge-base index here (run `purser kb ingest`)")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT_VERSION:
                raise DocumentError(f"{path}: unknown index format {manifest.get('format')!r}; re-ingest")
            kb = cls.__new__(cls)
            kb.documents = tuple(
                DocumentInfo(d["name"], d["title"], _date(d["updated"]), _date(d["modified"]), int(d["sections"]))
                for d in manifest["documents"]
            )
            kb.sections = tuple(Section(**s) for s in manifest["sections"])
            kb._full_text = None
            kb._titles = dict(manifest["titles"])
            index = manifest["index"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DocumentError(f"{path}: corrupt index ({exc}); re-ingest") from None
        kb._headings = _heading_terms(kb.sections)
        kb._retriever = None
        if kb.sections:
            if not isinstance(index, str) or not index.startswith(INDEX_PREFIX) or "/" in index:
                raise DocumentError(f"{path}: corrupt index (no BM25 index named); re-ingest")
            import bm25s

            try:
                kb._retriever = bm25s.BM25.load(str(folder / index), show_progress=False)
            except (OSError, ValueError) as exc:
                raise DocumentError(f"{folder / index}: cannot load the BM25 index ({exc}); re-ingest") from None
        return kb

    def documents_by_name(self) -> dict[str, Document]:
        """The sections regrouped into their documents (used when merging an ingest into an index)."""
        grouped: dict[str, list[Section]] = {}
        for section in self.sections:
            grouped.setdefault(section.document, []).append(section)
        return {
            info.name: Document(
                name=info.name,
                title=info.title,
                sections=tuple(grouped.get(info.name, [])),
                updated=info.updated,
                modified=info.modified,
            )
            for info in self.documents
        }

    def merged_with(self, documents: Iterable[Document]) -> KnowledgeBase:
        """A new knowledge base: this one's documents, replaced or extended by `documents` (by name)."""
        by_name = self.documents_by_name()
        for doc in documents:
            by_name[doc.name] = doc
        return KnowledgeBase(by_name.values())

    # -- retrieval -----------------------------------------------------------------------
    def search(self, query: str, k: int = 3) -> list[Passage]:
        """The `k` best sections for `query`, best first (only sections sharing a word with it)."""
        if k < 1 or self._retriever is None:
            return []
        vocab: dict[str, int] = self._retriever.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        wanted = set(tokens)
        scores = [
            # BM25, boosted by the share of the query's words the heading itself contains.
            float(score) * (1 + HEADING_BONUS * len(wanted & self._headings[i]) / len(wanted))
            for i, score in enumerate(self._retriever.get_scores(tokens))
        ]
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        passages = []
        for i in order[:k]:
            if scores[i] <= 0:
                break
            s = self.sections[i]
            passages.append(Passage(s.document, s.heading, s.text, round(float(scores[i]), 4)))
        return passages

    # -- whole-text strategy -------------------------------------------------------------
    def full_text(self) -> str:
        """Every section, labelled with document and heading, for putting the whole KB in a prompt."""
        # Asked every turn (and by `fits`): joined once per tuple of sections (a tuple never changes;
        # loading a manifest replaces it).
        kept = self._full_text
        if kept is None or kept[0] is not self.sections:
            parts = []
            for s in self.sections:
                label = f"[{s.document} — {s.heading}]" if s.heading else f"[{s.document}]"
                parts.append(f"{label}\n{s.text}")
            kept = self._full_text = (self.sections, "\n\n".join(parts))
        return kept[1]

    def estimated_tokens(self) -> int:
        """A simple estimate of `full_text()`'s size in tokens (about four characters each)."""
        return estimate_tokens(self.full_text())

    def fits(self, budget_tokens: int) -> bool:
        """True when the whole KB fits in `budget_tokens` (then prompt with `full_text()`)."""
        return self.estimated_tokens() <= budget_tokens

    def __len__(self) -> int:
        return len(self.sections)


def _heading_terms(sections: Iterable[Section]) -> list[set[str]]:
    return [set(tokenize(_SECTION_NUMBER.sub("", s.heading))) for s in sections]


def read_documents(paths: Iterable[Path], *, progress: Progress | None = None) -> list[Document]:
    """Parse every supported file at `paths`; document names are relative to the folder given."""
    documents: list[Document] = []
    seen: set[str] = set()
    for root in paths:
        files = iter_document_paths(root)
        for file in files:
            name = file.relative_to(root).as_posix() if root.is_dir() else file.name
            if name in seen:
                raise DocumentError(f"{file}: a document named {name!r} was already given")
            seen.add(name)
            documents.append(load_document(file, name=name))
            if progress is not None:
                progress(name)
    return documents


def count_files(paths: Iterable[Path]) -> int:
    """How many supported files `paths` hold (for a progress bar's total)."""
    return sum(len(iter_document_paths(p)) for p in paths)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


__all__ = [
    "FORMAT_VERSION",
    "HEADING_BONUS",
    "INDEX_PREFIX",
    "MANIFEST",
    "DocumentInfo",
    "KnowledgeBase",
    "Passage",
    "Progress",
    "compact",
    "count_files",
    "read_documents",
]
