"""What the CLI gets from `purser.app` when the configuration is wrong: one line naming the problem, exit 2,
no traceback; and a command builds only what it needs (the audit log needs no processor key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from purser.cli import app


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no purser.yaml of the developer's
    for var in ("PURSER_CONFIG", "PURSER_DATABASE_URL", "PURSER_PROCESSOR", "STRIPE_API_KEY", "PURSER_SMTP_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PURSER_DATABASE_URL", f"sqlite:///{tmp_path / 'purser.db'}")


def test_a_database_that_cannot_be_opened_is_named() -> None:
    result = CliRunner().invoke(app, ["customer", "list", "--database-url", "nosuchdriver://x"])
    assert result.exit_code == 2
    assert "cannot open the database 'nosuchdriver://x'" in result.output and "Traceback" not in result.output


def test_stripe_without_a_key_is_refused_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PURSER_PROCESSOR", "stripe")
    result = CliRunner().invoke(app, ["customer", "list"])
    assert result.exit_code == 2 and "STRIPE_API_KEY" in result.output
    loaded = CliRunner().invoke(app, ["sandbox", "seed"])
    assert loaded.exit_code == 2 and "PURSER_PROCESSOR=sandbox" in loaded.output


def test_the_audit_log_needs_no_processor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PURSER_PROCESSOR", "stripe")  # no key: the processor would refuse to build
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "audit log OK: 0 records" in result.output


def test_a_failed_migration_closes_the_database_it_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.app import BootstrapError, open_database
    from purser.config import Settings
    from purser.store.db import Database

    not_a_database = tmp_path / "purser.db"
    not_a_database.write_bytes(b"this is not an SQLite file" * 100)
    disposed: list[Database] = []
    real_dispose = Database.dispose

    def dispose(self: Database) -> None:
        disposed.append(self)
        real_dispose(self)

    monkeypatch.setattr(Database, "dispose", dispose)
    with pytest.raises(BootstrapError, match="cannot open the database"):
        open_database(Settings(database_url=f"sqlite:///{not_a_database}"))
    assert len(disposed) == 1
