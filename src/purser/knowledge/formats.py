"""Parsers from each file format to heading/text blocks.

Each parser returns `(title, meta, blocks)`: `blocks` is a list of `(level, text)` where level
1-6 is a heading and 0 is body text (a paragraph, a list item prefixed with "- ", a table row).
"""

from __future__ import annotations

import io
import re
from typing import Any

from purser.knowledge.documents import Block, split_front_matter
from purser.knowledge.errors import DocumentError

Parsed = tuple[str, dict[str, Any], list[Block]]

_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def strip_inline_markdown(text: str) -> str:
    """Plain text of a Markdown line: links, images, emphasis, code spans and tags removed."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return text.strip()


def parse_markdown(raw: str) -> Parsed:
    """Markdown with optional YAML front matter; ATX and setext headings."""
    meta, body = split_front_matter(raw)
    lines = body.splitlines()
    blocks: list[Block] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            blocks.append((0, "\n".join(paragraph)))
            paragraph.clear()

    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            paragraph.append(line.rstrip())
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            blocks.append((len(atx.group(1)), strip_inline_markdown(atx.group(2))))
            continue
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and not paragraph and _SETEXT.match(next_line) and not _LIST_ITEM.match(line):
            flush()
            blocks.append((1 if next_line.strip().startswith("=") else 2, strip_inline_markdown(line)))
            continue
        if _SETEXT.match(line) and blocks and blocks[-1][0] > 0 and not paragraph:
            continue  # the underline of a setext heading
        if not line.strip() or _TABLE_RULE.match(line):
            if not line.strip():
                flush()
            continue
        text = line.strip()
        if text.startswith("|"):
            cells = [strip_inline_markdown(c) for c in text.strip("|").split("|")]
            text = " — ".join(c for c in cells if c)
            flush()
            paragraph.append(text)
            flush()
            continue
        if text.startswith(">"):
            text = text.lstrip("> ").strip()
        if _LIST_ITEM.match(text):
            text = "- " + _LIST_ITEM.sub("", text, count=1)
        paragraph.append(
            strip_inline_markdown(text) if not text.startswith("- ") else "- " + strip_inline_markdown(text[2:])
        )
    flush()
    title = next((text for level, text in blocks if level == 1), "")
    return title, meta, blocks


_HTML_BLOCKS = ("p", "li", "tr", "dt", "dd", "pre", "blockquote", "figcaption", "caption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def parse_html(raw: str) -> Parsed:
    """HTML: headings h1-h6 and block elements in document order; `<meta name=... content=...>`."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(raw, "html.parser")
    meta: dict[str, Any] = {}
    for tag in soup.find_all("meta"):
        if isinstance(tag, Tag) and tag.get("name") and tag.get("content"):
            meta[str(tag.get("name")).lower()] = str(tag.get("content"))
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if isinstance(title_tag, Tag) else ""
    blocks: list[Block] = []
    wanted = set(_HTML_BLOCKS) | set(_HEADINGS)
    for element in soup.find_all(list(wanted)):
        if not isinstance(element, Tag):
            continue
        if any(parent.name in wanted for parent in element.parents if isinstance(parent, Tag)):
            continue
        if element.name in _HEADINGS:
            text = element.get_text(" ", strip=True)
            if text:
                blocks.append((int(element.name[1]), text))
            continue
        if element.name == "tr":
            cells = [c.get_text(" ", strip=True) for c in element.find_all(["td", "th"])]
            text = " — ".join(c for c in cells if c)
        else:
            text = " ".join(element.get_text(" ", strip=True).split())
            if element.name == "li":
                text = f"- {text}"
        if text.strip("- "):
            blocks.append((0, text))
    if not title:
        title = next((text for level, text in blocks if level == 1), "")
    return title, meta, blocks


def parse_pdf(data: bytes) -> Parsed:
    """PDF via pypdf: the text of every page, headings recognised as in plain text."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError) as exc:
        raise DocumentError(f"not a readable PDF: {exc}") from None
    meta: dict[str, Any] = {}
    if info is not None and info.title:
        meta["title"] = str(info.title)
    title, blocks = _text_blocks("\n\n".join(pages))
    return title, meta, blocks


def parse_plain_text(raw: str) -> Parsed:
    """Plain text: front matter allowed; headings are `#` lines, underlined, numbered or short title lines."""
    meta, body = split_front_matter(raw)
    title, blocks = _text_blocks(body)
    return title, meta, blocks


def _looks_like_heading(line: str, previous_blank: bool, text_follows: bool) -> int:
    text = line.strip()
    if (
        not text
        or len(text) > 80
        or text[-1] in ".,;:!?"
        or (_LIST_ITEM.match(text) and not re.match(r"^\d+(\.\d+)*\.?\s+[A-Z]", text))
    ):
        return 0
    words = text.split()
    if len(words) > 9:
        return 0
    numbered = re.match(r"^(\d+(?:\.\d+)*)\.?\s+([A-Z].*)$", text)
    if numbered:
        return 2 + numbered.group(1).count(".")
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 2:
        return 2
    if not text_follows:
        return 0
    small = {"a", "an", "and", "or", "of", "the", "to", "in", "on", "for", "at", "by", "with", "vs", "per"}
    if previous_blank and all(w[0].isupper() or w.lower() in small or not w[0].isalpha() for w in words):
        return 2
    return 0


def _text_blocks(body: str) -> tuple[str, list[Block]]:
    lines = body.splitlines()
    blocks: list[Block] = []
    paragraph: list[str] = []
    title = ""

    def flush() -> None:
        if paragraph:
            blocks.append((0, "\n".join(paragraph)))
            paragraph.clear()

    previous_blank = True
    skip = False
    first = next((line.strip() for line in lines if line.strip()), "")
    for index, line in enumerate(lines):
        if skip:
            skip = False
            previous_blank = True
            continue
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        atx = _ATX.match(line)
        level = 0
        if atx:
            level, line = len(atx.group(1)), atx.group(2)
        elif line.strip() and _SETEXT.match(next_line) and not paragraph:
            level = 1 if next_line.strip().startswith("=") else 2
            skip = True
        else:
            level = _looks_like_heading(line, previous_blank, bool(next_line.strip()))
        if level:
            flush()
            text = line.strip()
            if level == 1 and not title:
                title = text
            blocks.append((level, text))
        elif line.strip():
            text = line.strip()
            paragraph.append("- " + _LIST_ITEM.sub("", text, count=1) if _LIST_ITEM.match(text) else text)
        else:
            flush()
        previous_blank = not line.strip() or bool(level)
    flush()
    # A short first line standing alone above the first heading is the title.
    if (
        not title
        and len(blocks) > 1
        and blocks[0] == (0, first)
        and blocks[1][0] > 0
        and len(first.split()) <= 10
        and first[-1] not in ".,;:!?"
    ):
        title = first
        blocks[0] = (1, first)
    return title, blocks


__all__ = [
    "Parsed",
    "parse_html",
    "parse_markdown",
    "parse_pdf",
    "parse_plain_text",
    "strip_inline_markdown",
]
