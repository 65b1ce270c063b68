"""A database URL's password never reaches an error, a log line or the terminal: a bad URL, an
unreachable server and a successful `sandbox seed` print the URL with `***` in its place."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from purser.app import BootstrapError, open_database
from purser.config import Settings, redact_text, redact_url

PASSWORD = "Sup3r-s3cret-pw"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql+psycopg://app:{PASSWORD}@db:5432/purser", "postgresql+psycopg://app:***@db:5432/purser"),
        ("postgresql://app:p@ss/w@rd@db/purser", "postgresql://app:***@db/purser"),
        ("postgresql://app@db/purser", "postgresql://app@db/purser"),
        ("sqlite:///purser.db", "sqlite:///purser.db"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_text_hides_the_escaped_password_too() -> None:
    url = "postgresql://app:p%40ss@db/x"
    assert redact_text(f"cannot connect to {url}; password 'p@ss' refused", url) == (
        "cannot connect to postgresql://app:***@db/x; password '***' refused"
    )


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:1/none",  # nothing listens there
        f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:notaport/none",  # not a URL SQLAlchemy can read
        f"nosuchdriver://app:{PASSWORD}@127.0.0.1/none",
    ],
)
def test_a_bad_database_url_never_shows_its_password(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from purser.cli import app

    caplog.set_level(logging.DEBUG)
    with pytest.raises(BootstrapError) as refused:
        open_database(Settings(database_url=url))
    assert PASSWORD not in str(refused.value) and "app:***@" in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    assert PASSWORD not in repr(Settings(database_url=url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PURSER_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 2 and PASSWORD not in result.output and "cannot open the database" in result.output
    assert PASSWORD not in caplog.text


def test_sandbox_seed_prints_the_url_without_its_password(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    with_password = pg_url.replace("://postgres@", f"://postgres:{PASSWORD}@")
    result = CliRunner().invoke(app, ["sandbox", "seed", "--database-url", with_password])
    assert result.exit_code == 0, result.output  # trust authentication: any password is accepted
    assert PASSWORD not in result.output and "postgres:***@" in result.output
