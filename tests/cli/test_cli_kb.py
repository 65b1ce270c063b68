"""`purser kb ingest|search|lint` through the real CLI (typer's CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from purser.cli import app
from purser.knowledge.location import SAMPLE_DIR

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("PURSER_KB_PATH", "PURSER_DATABASE_URL", "PURSER_POLICY", "PURSER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "purser.yaml"
    path.write_text(f"database_url: sqlite:///{tmp_path}/purser.db\n", encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["ingest", "search", "lint"])
def test_help(command: str) -> None:
    code, output = _run("kb", command, "--help")
    assert code == 0 and "--config" in output


def test_search_the_sample_by_default(config: Path) -> None:
    code, output = _run("kb", "search", "can I get my money back after 3 weeks?", "--config", str(config))
    assert code == 0, output
    assert "refunds.md" in output and "Refund window" in output
    code, output = _run("kb", "search", "I was double charged", "--json", "-k", "2", "--config", str(config))
    assert code == 0
    passages = json.loads(output)["passages"]
    assert len(passages) == 2 and passages[0]["heading"] == "Duplicate charges" and passages[0]["score"] > 0


def test_search_errors_and_no_match(config: Path) -> None:
    code, output = _run("kb", "search", "   ", "--config", str(config))
    assert code == 2 and "QUERY is empty" in output
    code, output = _run("kb", "search", "xylophone", "--config", str(config))
    assert code == 0 and "No passage matches" in output
    code, output = _run("kb", "search", "refund", "--config", str(config.parent / "nope.yaml"))
    assert code == 2 and "no such configuration file" in output


def test_ingest_then_search_and_lint(config: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gift.md").write_text("# Gifts\n\n## Gift cards\n\nGift cards never expire.\n", encoding="utf-8")
    (docs / "page.html").write_text("<h1>Help</h1><h2>Vouchers</h2><p>Vouchers are single use.</p>", "utf-8")
    code, output = _run("kb", "ingest", str(docs), "--config", str(config))
    assert code == 0, output
    assert "2 documents and 2 sections" in output
    assert (tmp_path / ".purser-kb" / "manifest.json").is_file()
    code, output = _run("kb", "search", "can I use a voucher twice", "--config", str(config))
    assert code == 0 and "page.html" in output and "Vouchers" in output
    code, output = _run("kb", "lint", "--config", str(config))
    assert code == 0 and "OK: 2 documents" in output
    code, output = _run("kb", "ingest", str(SAMPLE_DIR), "--config", str(config))
    assert code == 0 and "10 documents" in output
    code, output = _run("kb", "ingest", str(docs / "gift.md"), "--replace", "--config", str(config))
    assert code == 0 and "1 document and 1 section" in output


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "no such file or folder"),
        (lambda d: (d / "notes.docx").write_bytes(b"x") and d / "notes.docx", "unsupported file type '.docx'"),
        (lambda d: d, "no documents found"),
    ],
)
def test_ingest_bad_paths_exit_2_and_write_nothing(config: Path, tmp_path: Path, make: object, message: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    target = make(folder)  # type: ignore[operator]
    code, output = _run("kb", "ingest", str(target), "--config", str(config))
    assert code == 2 and message in output
    assert not (tmp_path / ".purser-kb").exists()


def test_lint_sample_passes(config: Path) -> None:
    code, output = _run("kb", "lint", "--config", str(config))
    assert code == 0, output
    assert "OK: 8 documents in the sample knowledge base" in output


def test_lint_fails_on_a_policy_the_documents_contradict(config: Path) -> None:
    config.write_text(
        config.read_text(encoding="utf-8") + "policy:\n  refunds:\n    window_days: 14\n", encoding="utf-8"
    )
    code, output = _run("kb", "lint", "--config", str(config))
    assert code == 1
    assert 'refunds.md §1 "Refund window" says 30 days; policy.refunds.window_days is 14' in output
    assert 'terms.md §2 "4.2 Refunds" says 30 days' in output
    assert "3 contradictions" in output
    code, output = _run("kb", "lint", "--json", "--config", str(config))
    assert code == 1
    data = json.loads(output)
    assert data["ok"] is False and {f["kind"] for f in data["findings"]} == {"refund_window"}


def test_lint_path_copy_with_60_day_window(config: Path, tmp_path: Path) -> None:
    copy = tmp_path / "kb-copy"
    shutil.copytree(SAMPLE_DIR, copy)
    refunds = copy / "refunds.md"
    refunds.write_text(refunds.read_text(encoding="utf-8").replace("within 30 days", "within 60 days"), "utf-8")
    code, output = _run("kb", "lint", "--path", str(copy), "--config", str(config))
    assert code == 1
    assert 'refunds.md §1 "Refund window" says 60 days; policy.refunds.window_days is 30' in output
    assert "within 60 days of the date it was made" in output


def test_lint_stale_documents_warn_without_failing(config: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "old.md").write_text("---\nupdated: 2020-01-01\n---\n# Old\n\n## Notes\n\nHello.\n", encoding="utf-8")
    code, output = _run("kb", "lint", "--path", str(docs), "--max-age-days", "30", "--config", str(config))
    assert code == 0
    assert "warning:" in output and "old.md" in output and "kb_max_age_days is 30" in output
    code, output = _run("kb", "lint", "--path", str(docs / "nope"), "--config", str(config))
    assert code == 2 and "no such file or folder" in output
