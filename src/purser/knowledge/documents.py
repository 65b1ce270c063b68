"""Reading documents (Markdown, HTML, PDF, plain text) into sections chunked by headings.

A `Section` is the unit of retrieval and citation: one heading and the text under it, numbered
`§1`, `§2`, ... in document order so that lint findings can point at them
(`refunds.md §2 "Refund window"`). Long sections are split on paragraph boundaries into chunks
that keep their heading.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from purser.knowledge.errors import DocumentError

SUPPORTED_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".html", ".htm", ".pdf", ".txt", ".text")
"""File types `ingest` reads."""

MAX_CHUNK_CHARS = 1500
"""Sections longer than this are split on paragraph boundaries."""


@dataclass(frozen=True)
class Section:
    """One heading of one document and the text under it."""

    document: str
    heading: str
    text: str
    number: int = 0
    """1-based position among the document's sections (0 for text before the first heading)."""

    @property
    def location(self) -> str:
        """Where the section is, for people: `refunds.md §2 "Refund window"`."""
        label = f"{self.document} §{self.number}" if self.number else self.document
        return f'{label} "{self.heading}"' if self.heading else label


@dataclass(frozen=True)
class Document:
    """A parsed document."""

    name: str
    title: str
    sections: tuple[Section, ...]
    updated: dt.date | None = None
    """From front matter `updated:` (or an HTML meta tag); None when the file says nothing."""
    modified: dt.date | None = None
    """The file's modification date."""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date | None:
        """The date the content is current as of: `updated`, else the file's mtime."""
        return self.updated or self.modified


def iter_document_paths(path: Path) -> list[Path]:
    """The supported files at `path` (a file, or a folder searched recursively), sorted.

    Raises `DocumentError` when `path` does not exist, is an unsupported file, or is a folder
    without any supported file.
    """
    if not path.exists():
        raise DocumentError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DocumentError(
                f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
            )
        return [path]
    found = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not found:
        raise DocumentError(f"{path}: no documents found (looked for {', '.join(SUPPORTED_SUFFIXES)})")
    return found


def load_document(path: Path, *, name: str | None = None) -> Document:
    """Parse one file into a `Document`; raises `DocumentError` naming the file on failure."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type {suffix or '(none)'!r}")
    name = name or path.name
    try:
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date()
        if suffix == ".pdf":
            from purser.knowledge.formats import parse_pdf

            title, meta, blocks = parse_pdf(path.read_bytes())
        else:
            raw = path.read_text(encoding="utf-8")
            if suffix in (".html", ".htm"):
                from purser.knowledge.formats import parse_html

                title, meta, blocks = parse_html(raw)
            elif suffix in (".md", ".markdown"):
                from purser.knowledge.formats import parse_markdown

                title, meta, blocks = parse_markdown(raw)
            else:
                from purser.knowledge.formats import parse_plain_text

                title, meta, blocks = parse_plain_text(raw)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    sections = _sections(name, blocks)
    if not sections:
        raise DocumentError(f"{path}: no text found")
    return Document(
        name=name,
        title=str(meta.get("title") or title or path.stem),
        sections=tuple(sections),
        updated=_updated(path, meta.get("updated")),
        modified=modified,
        meta=meta,
    )


def _updated(path: Path, value: Any) -> dt.date | None:
    if value is None:
        return None
    date = _as_date(value)
    if date is None:
        raise DocumentError(f"{path}: updated: expected a date such as 2026-11-01, got {value!r}")
    return date


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter (`---` ... `---`) from the body; bad YAML is a `DocumentError`."""
    match = re.match(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", raw, re.S)
    if not match:
        return {}, raw
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise DocumentError(f"front matter is not valid YAML: {exc}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError("front matter must be a mapping")
    return meta, raw[match.end() :]


Block = tuple[int, str]
"""(heading level, text): level > 0 is a heading, 0 is body text."""


def _sections(document: str, blocks: list[Block]) -> list[Section]:
    sections: list[Section] = []
    heading = ""
    number = 0
    body: list[str] = []

    def flush() -> None:
        text = "\n\n".join(part for part in body if part.strip()).strip()
        if not text:
            return
        for chunk in _chunks(text):
            sections.append(Section(document=document, heading=heading, text=chunk, number=number))

    # A single top-level heading is the document's title: text under it is section 0.
    top = [i for i, (level, _) in enumerate(blocks) if level == 1]
    title_index = top[0] if len(top) == 1 and all(level == 0 for level, _ in blocks[: top[0]]) else -1
    for index, (level, text) in enumerate(blocks):
        if level > 0:
            flush()
            body = []
            heading = text.strip()
            if index != title_index:
                number += 1
        else:
            body.append(text)
    flush()
    return sections


def _chunks(text: str) -> list[str]:
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        if current and len(current) + len(paragraph) + 2 > MAX_CHUNK_CHARS:
            chunks.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks


__all__ = [
    "MAX_CHUNK_CHARS",
    "SUPPORTED_SUFFIXES",
    "Block",
    "Document",
    "Section",
    "iter_document_paths",
    "load_document",
    "split_front_matter",
]
