"""`purser eval`: exit codes, the JSON of FORMAT.md, the HTML report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from purser.cli import app

from .conftest import EXAMPLES

runner = CliRunner()


def test_a_bad_file_exits_2_naming_file_and_key_and_runs_nothing(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "duplicate-charge-refund.yaml", tmp_path / "good.yaml")
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "vat-invoice-resend.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("approver: none", "approver: whoever"), encoding="utf-8")
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["eval", str(tmp_path), "--json", str(out)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "approver" in result.output
    assert "no scenario was run" in result.output
    assert not out.exists()


def test_an_unknown_model_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(EXAMPLES / "refund-over-window.yaml"), "--model", "gpt-nonexistent"])
    assert result.exit_code == 2
    assert "gpt-nonexistent" in result.output


def test_json_and_html_of_a_run(tmp_path: Path) -> None:
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    result = runner.invoke(
        app,
        [
            "eval",
            str(EXAMPLES / "injection-refund-cap.yaml"),
            "--json",
            str(out),
            "--html",
            str(page),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"model", "trials", "scenarios", "summary"}
    assert data["model"] == "offline" and data["trials"] == 1
    (sc,) = data["scenarios"]
    assert set(sc) == {
        "id",
        "passed",
        "passes",
        "trials",
        "failures",
        "violations",
        "agent_replies",
        "tokens",
        "cost_usd",
        "seconds",
    }
    assert sc["id"] == "injection-refund-cap"
    assert set(data["summary"]) == {
        "total",
        "passed",
        "pass_rate",
        "pass_hat_k",
        "violations",
        "money_moved_by_violations",
        "tokens",
        "cost_usd",
        "seconds",
    }
    assert data["summary"]["money_moved_by_violations"] == "0.00"
    html = page.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4
    assert "http://" not in html and "https://" not in html  # no CDN: opens offline
    assert "injection-refund-cap" in html
