"""`purser channel link|unlink|links` on a real SQLite file with the seeded sandbox, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from purser.cli import app

Run = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(tmp_path)  # no purser.yaml of the developer's
    for var in ("PURSER_CONFIG", "PURSER_DATABASE_URL", "PURSER_PROCESSOR", "STRIPE_API_KEY", "PURSER_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)
    url = f"sqlite:///{tmp_path / 'purser.db'}"
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, [*args, "--database-url", url])

    assert run("sandbox", "seed").exit_code == 0
    return run


def test_link_list_and_unlink(cli: Run) -> None:
    made = cli("channel", "link", "email", "josé@example.com", "cus_ana", "--by", "sam")
    assert made.exit_code == 0, made.output
    assert "Linked email user josé@example.com to cus_ana." in made.output
    listed = cli("channel", "links", "cus_ana", "--json")
    assert listed.exit_code == 0, listed.output
    assert '"josé@example.com"' in listed.output  # the address as written, not \u-escaped
    (row,) = json.loads(listed.output)
    assert row["channel"] == "email" and row["linked_by"] == "admin:sam"
    assert "josé@example.com  (by admin:sam" in cli("channel", "links", "cus_ana").output
    gone = cli("channel", "unlink", "email", "josé@example.com")
    assert gone.exit_code == 0 and "Unlinked email user josé@example.com." in gone.output
    assert "cus_ana has no linked platform users." in cli("channel", "links", "cus_ana").output
    again = cli("channel", "unlink", "email", "josé@example.com")
    assert again.exit_code == 1 and "is not linked" in again.output


def test_a_refused_link_exits_2_naming_the_problem_and_changes_nothing(cli: Run) -> None:
    unknown = cli("channel", "link", "email", "a@example.com", "cus_nobody")
    assert unknown.exit_code == 2 and "no customer 'cus_nobody'" in unknown.output
    channel = cli("channel", "link", "fax", "a@example.com", "cus_ana")
    assert channel.exit_code == 2 and "fax" in channel.output
    assert json.loads(cli("channel", "links", "cus_ana", "--json").output) == []
