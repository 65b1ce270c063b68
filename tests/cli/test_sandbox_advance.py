"""`purser sandbox advance --days N | --to DATE` on a real SQLite file: bad input is named and changes
nothing; a good advance moves the clock and reports what happened."""

from __future__ import annotations

import re
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

    assert run("sandbox", "seed").exit_code == 0  # the demo world, clock at 2026-11-16
    return run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --days N or --to DATE"),
        (("--days", "1", "--to", "2026-12-01"), "give exactly one of --days N or --to DATE"),
        (("--days", "-2"), "--days must be 0 or more"),
        (("--to", "next tuesday"), "--to: expected a date or time such as 2026-12-15"),
        (("--to", "2026-11-01"), "never goes back"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(cli: Run, args: tuple[str, ...], message: str) -> None:
    result = cli("sandbox", "advance", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    shown = cli("customer", "show", "cus_ben")
    assert "dunning" not in shown.output  # nothing ran


def test_an_advance_reports_and_a_second_sends_nothing_more(cli: Run) -> None:
    first = cli("sandbox", "advance", "--days", "3")
    assert first.exit_code == 0, first.output
    assert "2026-11-16 00:00 → 2026-11-19 00:00 UTC" in first.output
    assert "cus_ben: outreach 0 by email" in first.output
    assert re.search(r"dunning outreach sent\s*│\s*1\s", first.output), first.output
    second = cli("sandbox", "advance", "--to", "2026-11-19T12:00")
    assert second.exit_code == 0, second.output
    assert re.search(r"dunning outreach sent\s*│\s*0\s", second.output), second.output
    assert "cus_ben: outreach" not in second.output
