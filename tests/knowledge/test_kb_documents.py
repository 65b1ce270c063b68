"""Reading Markdown, HTML, PDF and plain text into numbered sections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fpdf import FPDF

from purser.knowledge import DocumentError, KnowledgeBase, lint
from purser.knowledge.documents import MAX_CHUNK_CHARS, iter_document_paths, load_document
from purser.policy.schema import DEFAULT_POLICY


def _pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_title("Refund handbook")
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Refund handbook", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 10, "1. Refund window", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        "Customers may ask for a refund within 60 days of a charge. Older charges are reviewed by the "
        "billing team, who decide case by case.",
    )
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 10, "2. Duplicate Charges", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "An accidental second charge for the same invoice is refunded in full.")
    pdf.output(str(path))


def test_pdf_ingestion_sections_search_and_lint(tmp_path: Path) -> None:
    path = tmp_path / "handbook.pdf"
    _pdf(path)
    doc = load_document(path)
    assert doc.title == "Refund handbook"
    assert [(s.number, s.heading) for s in doc.sections] == [(1, "1. Refund window"), (2, "2. Duplicate Charges")]
    assert "within 60 days" in " ".join(doc.sections[0].text.split())
    kb = KnowledgeBase.from_paths([path])
    (top, *_) = kb.search("I was charged two times for one invoice")
    assert (top.document, top.heading) == ("handbook.pdf", "2. Duplicate Charges")
    (finding,) = lint(DEFAULT_POLICY, kb)
    assert finding.message.startswith('handbook.pdf §1 "1. Refund window" says 60 days')


def test_html_ingestion(tmp_path: Path) -> None:
    path = tmp_path / "help.html"
    path.write_text(
        """<html><head><title>Help centre</title><meta name="updated" content="2026-10-02">
        <style>p {color: red}</style><script>var refund = 90;</script></head><body>
        <nav><a href="/">Home</a></nav>
        <h1>Help centre</h1><p>Intro text for the help centre.</p>
        <h2>Pausing</h2><p>You can <b>pause</b> your plan for up to 3 months.</p>
        <ul><li>Billing resumes automatically.</li><li>You can resume early.</li></ul>
        <h2>Seats</h2><table><tr><th>Change</th><th>Limit</th></tr><tr><td>Seats</td><td>50</td></tr></table>
        </body></html>""",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "Help centre"
    assert doc.updated == dt.date(2026, 10, 2)
    assert [(s.number, s.heading) for s in doc.sections] == [(0, "Help centre"), (1, "Pausing"), (2, "Seats")]
    pausing = doc.sections[1].text
    assert "You can pause your plan for up to 3 months." in pausing
    assert "- Billing resumes automatically." in pausing
    assert "var refund" not in " ".join(s.text for s in doc.sections)
    assert "Seats — 50" in doc.sections[2].text
    kb = KnowledgeBase.from_paths([path])
    assert kb.search("how long can I put my plan on hold")[0].heading == "Pausing"


def test_markdown_front_matter_headings_and_inline_markup(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "---\ntitle: Guide\nupdated: 2026-11-01\n---\n"
        "Guide\n=====\n\nWelcome **text** with a [link](https://example.com).\n\n"
        "Refunds\n-------\n\n- item *one*\n- item `two`\n\n"
        "```\n# not a heading\n```\n\n### Deep heading ###\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "Guide" and doc.updated == dt.date(2026, 11, 1)
    assert [(s.number, s.heading) for s in doc.sections] == [(0, "Guide"), (1, "Refunds"), (2, "Deep heading")]
    assert doc.sections[0].text == "Welcome text with a link."
    assert "- item one\n- item two" in doc.sections[1].text
    assert "# not a heading" in doc.sections[1].text
    assert doc.sections[2].text == "a — b\n\n1 — 2"


def test_plain_text_headings(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "BILLING NOTES\n\nIntro line.\n\nRefund Window\nRefunds within 30 days.\n\n"
        "2. Pausing\nPause for up to three months.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert [s.heading for s in doc.sections] == ["BILLING NOTES", "Refund Window", "2. Pausing"]
    assert doc.sections[1].text == "Refunds within 30 days."


def test_long_sections_are_chunked_under_the_same_heading(tmp_path: Path) -> None:
    paragraph = "Refunds are reviewed carefully by the team. " * 12
    path = tmp_path / "long.md"
    path.write_text("# Long\n\n## Refunds\n\n" + "\n\n".join([paragraph] * 6), encoding="utf-8")
    doc = load_document(path)
    assert len(doc.sections) > 1
    assert {(s.heading, s.number) for s in doc.sections} == {("Refunds", 1)}
    assert all(len(s.text) <= MAX_CHUNK_CHARS for s in doc.sections)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.docx", b"x", "unsupported file type '.docx'"),
        ("bad.md", b"---\n: [\n---\n# x\n", "front matter is not valid YAML"),
        ("empty.md", b"---\nupdated: 2026-01-01\n---\n\n", "no text found"),
        ("undated.md", b"---\nupdated: soon\n---\n# x\n\ntext\n", "updated: expected a date"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "not UTF-8"),
        ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message) as info:
        load_document(path)
    assert name in str(info.value)


def test_folder_listing(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file or folder"):
        iter_document_paths(tmp_path / "missing")
    with pytest.raises(DocumentError, match="no documents found"):
        iter_document_paths(tmp_path)
    (tmp_path / "a.md").write_text("# A\n\ntext\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("text\n", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.md").write_text("text\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_document_paths(tmp_path)] == ["a.md", "sub/b.txt"]
    kb = KnowledgeBase.from_paths([tmp_path])
    assert [d.name for d in kb.documents] == ["a.md", "sub/b.txt"]
