"""KnowledgeBase: persistence, merging, whole text, token budget, search edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from purser.knowledge import DocumentError, KnowledgeBase, sample_knowledge_base
from purser.knowledge.location import SAMPLE_DIR, ingest
from purser.knowledge.text import estimate_tokens


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    kb = sample_knowledge_base()
    kb.save(tmp_path / "index")
    loaded = KnowledgeBase.load(tmp_path / "index")
    assert loaded.sections == kb.sections
    assert loaded.documents == kb.documents
    query = "how long can I pause my subscription"
    assert loaded.search(query, 3) == kb.search(query, 3)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no knowledge-base index here"):
        KnowledgeBase.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DocumentError, match="corrupt index"):
        KnowledgeBase.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(DocumentError, match="unknown index format"):
        KnowledgeBase.load(tmp_path)


def test_ingest_adds_replaces_by_name_and_replace_flag(tmp_path: Path) -> None:
    index = tmp_path / "index"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "extra.md").write_text("# Extra\n\n## Gift cards\n\nGift cards never expire.\n", encoding="utf-8")
    ingest([SAMPLE_DIR], index)
    kb = ingest([docs], index)
    assert "extra.md" in [d.name for d in kb.documents] and "refunds.md" in [d.name for d in kb.documents]
    assert KnowledgeBase.load(index).search("do gift cards expire")[0].document == "extra.md"
    (docs / "extra.md").write_text("# Extra\n\n## Gift cards\n\nGift cards expire after a year.\n", encoding="utf-8")
    kb = ingest([docs / "extra.md"], index)
    assert sum(d.name == "extra.md" for d in kb.documents) == 1
    assert "expire after a year" in kb.search("gift cards")[0].text
    kb = ingest([docs], index, replace=True)
    assert [d.name for d in kb.documents] == ["extra.md"]
    assert len(list(index.glob("bm25-*"))) == 1  # earlier index versions are cleaned up


def test_bad_path_changes_nothing(tmp_path: Path) -> None:
    index = tmp_path / "index"
    ingest([SAMPLE_DIR], index)
    before = (index / "manifest.json").read_bytes()
    with pytest.raises(DocumentError):
        ingest([SAMPLE_DIR / "refunds.md", tmp_path / "missing.md"], index)
    assert (index / "manifest.json").read_bytes() == before


def test_full_text_and_fits() -> None:
    kb = sample_knowledge_base()
    text = kb.full_text()
    assert "[refunds.md — Refund window]" in text
    assert "within 30 days" in text
    tokens = kb.estimated_tokens()
    assert tokens == estimate_tokens(text)
    assert kb.fits(tokens) and kb.fits(32000)
    assert not kb.fits(tokens - 1)


def test_full_text_is_kept_per_tuple_of_sections(tmp_path: Path) -> None:
    kb = sample_knowledge_base()
    assert kb.full_text() is kb.full_text()  # joined once
    kb.save(tmp_path / "index")
    loaded = KnowledgeBase.load(tmp_path / "index")
    assert loaded.full_text() == kb.full_text()
    loaded.sections = loaded.sections[:1]  # a new tuple: the text follows it
    first = loaded.sections[0]
    assert loaded.full_text() == f"[{first.document} — {first.heading}]\n{first.text}"


def test_search_edge_cases() -> None:
    kb = sample_knowledge_base()
    assert kb.search("") == []
    assert kb.search("the and of") == []
    assert kb.search("xylophone zebra") == []
    assert kb.search("refund", k=0) == []
    passages = kb.search("refund", k=100)
    assert 3 < len(passages) <= len(kb)
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_empty_knowledge_base() -> None:
    kb = KnowledgeBase([])
    assert kb.search("refund") == [] and kb.full_text() == "" and kb.fits(0) and len(kb) == 0


def test_passage_to_dict_compacts_text() -> None:
    (passage, *_) = sample_knowledge_base().search("proration exact to the second")
    data = passage.to_dict(80)
    assert set(data) == {"document", "heading", "text"}
    assert len(data["text"]) <= 80 and data["text"].endswith("…") and "\n" not in data["text"]
