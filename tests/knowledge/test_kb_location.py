"""Where the index lives and which knowledge base the settings open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from purser.config import Settings
from purser.knowledge import (
    DocumentError,
    KnowledgeBase,
    index_dir,
    ingest,
    kb_contradictions_block_writes,
    lint_settings,
    open_knowledge_base,
    sample_knowledge_base,
)
from purser.knowledge.location import SAMPLE_DIR, sqlite_file
from purser.policy.schema import Policy


def test_index_dir_next_to_the_sqlite_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "purser.db"
    assert index_dir(Settings(database_url=f"sqlite:///{db}")) == tmp_path / "data" / ".purser-kb"
    cwd = Path.cwd()
    assert index_dir(Settings(database_url="sqlite:///purser.db")) == cwd / ".purser-kb"
    assert index_dir(Settings(database_url="sqlite://")) == cwd / ".purser-kb"
    assert index_dir(Settings(database_url="postgresql+psycopg://u@127.0.0.1/x")) == cwd / ".purser-kb"
    assert index_dir(Settings(kb_path=str(tmp_path / "kb"))) == tmp_path / "kb"


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///data/purser.db", "data/purser.db"),
        ("sqlite:////srv/purser.db", "/srv/purser.db"),
        ("sqlite+pysqlite:///a%20b.db?timeout=3", "a b.db"),
        ("sqlite:///file:x?mode=memory&uri=true", None),
        ("postgresql+psycopg://postgres@127.0.0.1/test", None),
        ("not a url", None),
    ],
)
def test_sqlite_file_of_a_database_url(url: str, file: str | None) -> None:
    assert sqlite_file(url) == file


def test_default_is_the_packaged_sample(tmp_path: Path) -> None:
    kb = open_knowledge_base(Settings(database_url=f"sqlite:///{tmp_path}/purser.db"))
    assert kb is sample_knowledge_base()
    assert {d.name for d in kb.documents} >= {"refunds.md", "vat-invoices.html", "faq.md"}
    assert all(d.updated is not None and d.updated.isoformat() == "2026-11-01" for d in kb.documents)


def test_ingested_index_next_to_the_database_wins(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/purser.db")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "only.md").write_text("# Only\n\n## Gift cards\n\nGift cards never expire.\n", encoding="utf-8")
    ingest([docs], index_dir(settings))
    kb = open_knowledge_base(settings)
    assert [d.name for d in kb.documents] == ["only.md"]


def test_kb_path_with_documents_is_indexed_on_first_use(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\n## Gift cards\n\nGift cards never expire.\n", encoding="utf-8")
    settings = Settings(kb_path=str(tmp_path))
    first = open_knowledge_base(settings)
    assert open_knowledge_base(settings) is first  # cached while unchanged
    (tmp_path / "a.md").write_text("# A\n\n## Gift cards\n\nGift cards expire after a year.\n", encoding="utf-8")
    stamp = (tmp_path / "a.md").stat().st_mtime + 5
    os.utime(tmp_path / "a.md", (stamp, stamp))
    assert "after a year" in open_knowledge_base(settings).search("gift cards")[0].text


def test_kb_path_errors(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such folder"):
        open_knowledge_base(Settings(kb_path=str(tmp_path / "missing")))
    with pytest.raises(DocumentError, match="no documents found"):
        open_knowledge_base(Settings(kb_path=str(tmp_path)))


def test_sample_dir_is_packaged() -> None:
    names = sorted(p.name for p in SAMPLE_DIR.iterdir())
    assert "refunds.md" in names and any(n.endswith(".html") for n in names)
    assert len(names) >= 8


def test_lint_settings_for_serve_start_up(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/purser.db")
    assert lint_settings(settings) == []
    strict = Settings(
        database_url=f"sqlite:///{tmp_path}/purser.db",
        policy=Policy.from_mapping({"cancellation": {"pause_max_months": 1}}),
    )
    findings = lint_settings(strict)
    assert kb_contradictions_block_writes(findings)
    assert [f.message for f in findings] == [
        'cancellation.md §3 "How long a pause can last" says 3 months; policy.cancellation.pause_max_months is 1'
    ]


def test_knowledge_base_open_for_the_bootstrap(tmp_path: Path) -> None:
    assert KnowledgeBase.open(None, index_dir=tmp_path / ".purser-kb") is sample_knowledge_base()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\n## Gift cards\n\nGift cards never expire.\n", encoding="utf-8")
    assert [d.name for d in KnowledgeBase.open(docs).documents] == ["a.md"]
    settings = Settings(database_url=f"sqlite:///{tmp_path}/purser.db")
    ingest([docs], index_dir(settings))
    assert [d.name for d in KnowledgeBase.open(None, index_dir=tmp_path / ".purser-kb").documents] == ["a.md"]
