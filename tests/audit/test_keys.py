"""Where the audit key and the anchor come from: PURSER_AUDIT_KEY, the development key file, none;
a key never shows in a repr, an error or verify's output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from purser.app import build_backoffice
from purser.audit.keys import anchor_path, load_audit_keys
from purser.config import ConfigError, Settings, load_settings
from purser.ports.audit import AuditKeyError, ChainKey

SECRET = "s3cret-audit-key-" + "q" * 40


def test_a_configured_key_is_used_and_never_shown(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", audit_key=SECRET)
    keys = load_audit_keys(settings)
    assert keys.current == ChainKey.from_secret(SECRET) and keys.source == "PURSER_AUDIT_KEY" and not keys.generated
    assert not (tmp_path / "a.db.audit-key").exists()
    assert SECRET not in repr(settings) and SECRET not in repr(keys) and SECRET not in keys.current.key_id


def test_a_short_key_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PURSER_AUDIT_KEY", "short-key")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "audit_key" in str(refused.value) and "short-key" not in str(refused.value)
    with pytest.raises(AuditKeyError):
        ChainKey.from_secret("x" * 31)


def test_a_sqlite_file_gets_a_development_key_once(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'dev.db'}")
    first = load_audit_keys(settings)
    key_file = tmp_path / "dev.db.audit-key"
    assert first.generated and first.source == "dev.db.audit-key" and key_file.stat().st_mode & 0o777 == 0o600
    assert load_audit_keys(settings).current == first.current  # read back, not regenerated
    assert anchor_path(settings) == tmp_path / "dev.db.audit-anchor"


def test_postgres_without_a_key_is_unkeyed_and_has_no_default_anchor() -> None:
    settings = Settings(database_url="postgresql+psycopg://u:p@127.0.0.1:5432/test")
    assert load_audit_keys(settings).current is None and anchor_path(settings) is None
    assert anchor_path(Settings(database_url="sqlite://", audit_anchor="/var/x.anchor")) == Path("/var/x.anchor")


def test_verify_and_checkpoint_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PURSER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PURSER_AUDIT_KEY", SECRET)
    monkeypatch.setenv("PURSER_AUDIT_ANCHOR", str(tmp_path / "anchors" / "cli.anchor"))
    with build_backoffice(load_settings()) as office:
        office.audit.append("note", actor="system", data={"n": 1})
    runner = CliRunner()
    before = runner.invoke(app, ["audit", "verify"])
    assert before.exit_code == 0 and "1 keyed, 0 unkeyed" in before.output, before.output
    assert "no checkpoint written yet" in before.output and SECRET not in before.output
    written = runner.invoke(app, ["audit", "checkpoint"])
    assert written.exit_code == 0 and "1 record(s)" in written.output and "signed with key" in written.output
    after = runner.invoke(app, ["audit", "verify"])
    assert after.exit_code == 0 and "1 checkpoint(s)" in after.output, after.output
    exported = runner.invoke(app, ["audit", "export", "--format", "csv"])
    header, row = exported.output.splitlines()[:2]
    assert header.endswith(",hash,scheme") and row.endswith(
        ",hmac-sha256:" + load_audit_keys(load_settings()).current.key_id
    )  # type: ignore[union-attr]
    (tmp_path / "anchors" / "cli.anchor").write_text("{}\n", encoding="utf-8")
    broken = runner.invoke(app, ["audit", "checkpoint"])
    assert broken.exit_code == 1 and "no checkpoint written" in broken.output, broken.output


def test_checkpoint_without_an_anchor_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PURSER_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    refused = CliRunner().invoke(app, ["audit", "checkpoint"])
    assert refused.exit_code == 2  # the database cannot even be opened: named, no traceback
    assert "Traceback" not in refused.output


def test_the_process_that_generates_the_development_key_adopts_the_older_chain_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from purser.audit.log import AuditLog
    from purser.cli import app
    from purser.store.db import Database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)  # a chain written before keys existed: unkeyed
    db.migrate()
    for i in range(3):
        AuditLog(db).append("note", actor="system", data={"i": i})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PURSER_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(app, ["audit", "verify"])  # generates the key, adopts records 1..3
    assert first.exit_code == 0 and "0 keyed, 3 unkeyed" in first.output, first.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    lines = (tmp_path / "old.db.audit-anchor").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["seq"] == 3 and json.loads(lines[0])["keyed_from"] is None
    AuditLog(db).append("note", actor="system", data={"forged": "unkeyed, after the key"})
    late = runner.invoke(app, ["audit", "verify"])
    assert late.exit_code == 1 and "record 4" in late.output, late.output
    db.dispose()
