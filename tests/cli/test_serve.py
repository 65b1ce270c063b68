"""`purser serve`: start-up checks (KB lint, identity mode, admin token) and a real server process."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from purser.cli import app
from purser.cli.serve import prepare
from purser.config import Settings


def test_serve_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--config", "--strict", "--access-log", "--http", "--loop"):
        assert option in result.output


def test_an_unknown_http_parser_or_loop_is_refused_before_serving(tmp_path: Path) -> None:
    config = tmp_path / "purser.yaml"
    config.write_text(f"database_url: sqlite:///{tmp_path / 'p.db'}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--config", str(config), "--http", "spdy"])
    assert result.exit_code != 0
    assert "--http must be one of auto, h11, httptools" in result.output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prepare_logs_identity_mode_and_generates_an_admin_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}")
    container, options = prepare(settings, strict=False)
    try:
        assert options.admin_token and len(options.admin_token) >= 24
        assert options.writes_enabled is True
        text = caplog.text
        assert "identity verification is OFF" in text
        # The operator sees it once on the terminal; no log (which outlives the process) ever holds it.
        assert terminal.getvalue().count(options.admin_token) == 1
        assert options.admin_token not in text
    finally:
        container.close()
    caplog.clear()
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # no terminal (a service manager's log): no token at all
    container, options = prepare(settings, strict=False)
    container.close()
    assert options.admin_token is None and "no terminal to show a generated one" in caplog.text
    caplog.clear()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", identity_secret="s", admin_token="t")
    container, options = prepare(settings, strict=False)
    container.close()
    assert "identity verification is ON" in caplog.text
    assert options.admin_token == "t"


def _contradicting_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "refunds.md").write_text(
        "# Refunds\n\n## Refund window\n\nYou can request a refund within 60 days of the charge.\n", encoding="utf-8"
    )
    return kb


def test_strict_keeps_write_actions_off_while_the_kb_contradicts_the_policy(tmp_path: Path) -> None:
    kb = _contradicting_kb(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", kb_path=str(kb), admin_token="t")
    container, options = prepare(settings, strict=True)
    try:
        assert options.writes_enabled is False
        assert any("60" in line for line in options.kb_lint)
        assert container.policy.actions.enabled("refund") is False
        assert container.policy.actions.enabled("lookup_account") is True
    finally:
        container.close()
    container, options = prepare(settings, strict=False)  # without --strict: findings logged, writes on
    try:
        assert options.writes_enabled is True and options.kb_lint
        assert container.policy.actions.enabled("refund") is True
    finally:
        container.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_purser_serve_process(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PURSER_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PURSER_ADMIN_TOKEN": "tok"}
    env.pop("PURSER_IDENTITY_SECRET", None)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "purser.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("serve did not start:\n" + log.read_text())
                time.sleep(0.3)
        assert health.json()["identity_verification"] is False
        admin = httpx.get(f"http://127.0.0.1:{port}/api/admin/policy", headers={"Authorization": "Bearer tok"})
        assert admin.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    assert "identity verification is OFF" in text
    # the model was warmed and start-up's objects frozen before the server listened
    assert text.index("start-up objects frozen") < text.index("Uvicorn running")
