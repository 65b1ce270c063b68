"""`purser worker` and the worker thread of `purser serve`, as real processes on the embedded queue
(a SQLite database and the SqliteHuey file next to it), delivering to a real SMTP server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from purser.app import build
from purser.cli import app
from purser.config import Settings
from purser.ports.outbox import OutgoingEmail
from purser.testing.smtp import SmtpSink


def _env(tmp_path: Path, sink: SmtpSink) -> dict[str, str]:
    env = {**os.environ, "PURSER_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PURSER_SMTP_URL": sink.url}
    env.pop("PURSER_REDIS_URL", None)
    return env


def _send(tmp_path: Path, sink: SmtpSink, key: str) -> str:
    container = build(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", smtp_url=sink.url))
    try:
        assert container.outbox is not None
        email = OutgoingEmail(to="ada@example.com", subject=f"Hello {key}", text="hi", kind="notice")
        return container.outbox.send(email, key=key).message_id
    finally:
        container.close()


def _start(args: list[str], tmp_path: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "purser.cli", *args], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def test_worker_help_and_serve_option() -> None:
    result = CliRunner().invoke(app, ["worker", "--help"])
    assert result.exit_code == 0 and "--once" in result.output and "--workers" in result.output
    assert "--no-worker" in CliRunner().invoke(app, ["serve", "--help"]).output


def test_worker_delivers_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        message_id = _send(tmp_path, sink, "w1")  # queued before any worker runs
        log = tmp_path / "worker.log"
        proc = _start(["worker"], tmp_path, _env(tmp_path, sink), log)
        try:
            [msg] = sink.wait_for(1, timeout_seconds=60)
            assert msg["Message-ID"] == message_id
            second = _send(tmp_path, sink, "w2")  # pushed to the running worker
            assert sink.wait_for(2, timeout_seconds=30)[1]["Message-ID"] == second
        finally:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=30)
        text = log.read_text()
        assert code == 0, text
        assert "worker: queue on SQLite file" in text and "email.deliver" in text
        assert "delivered to 127.0.0.1" in text and "worker: stopped" in text


def test_worker_once_runs_the_due_jobs_and_exits(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        _send(tmp_path, sink, "o1")
        done = subprocess.run(
            [sys.executable, "-m", "purser.cli", "worker", "--once"],
            cwd=tmp_path,
            env=_env(tmp_path, sink),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert re.search(r"ran \d+ due job\(s\)", done.stdout)  # the email's, and any periodic job due
        assert len(sink.received) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("worker", [True, False], ids=["serve", "serve --no-worker"])
def test_serve_runs_jobs_in_a_thread_unless_told_not_to(tmp_path: Path, worker: bool) -> None:
    port = _free_port()
    with SmtpSink() as sink:
        env = {**_env(tmp_path, sink), "PURSER_ADMIN_TOKEN": "tok"}
        args = ["serve", "--port", str(port)] + ([] if worker else ["--no-worker"])
        log = tmp_path / "serve.log"
        proc = _start(args, tmp_path, env, log)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("serve did not start:\n" + log.read_text())
                    time.sleep(0.3)
            _send(tmp_path, sink, "s1")
            if worker:
                assert len(sink.wait_for(1, timeout_seconds=30)) == 1
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        text = log.read_text()
        if worker:
            assert "jobs: run in this process" in text and "job worker threads stopped" in text
        else:
            assert "not run here (--no-worker)" in text
            assert sink.received == []  # nobody runs jobs in this process


def test_requeue_dead_gives_a_failed_email_new_attempts(tmp_path: Path) -> None:
    with SmtpSink() as sink:
        sink.stop()
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", smtp_url=sink.url)
        container = build(settings.model_copy(update={"jobs": settings.jobs.model_copy(update={"email_retries": 0})}))
        assert container.outbox is not None and container.jobs is not None
        email = OutgoingEmail(to="ada@example.com", subject="Hello", text="hi", kind="notice")
        entry = container.outbox.send(email, key="dead-1")
        container.jobs.run_due()
        failed = container.outbox.get(entry.id)
        assert failed is not None and failed.status == "failed"
        container.close()
        sink.start()
        done = subprocess.run(
            [sys.executable, "-m", "purser.cli", "worker", "--requeue-dead", "--once"],
            cwd=tmp_path,
            env=_env(tmp_path, sink),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "re-queued 1 dead job(s)" in done.stdout
        assert [m["Message-ID"] for m in sink.messages] == [entry.message_id]
