"""`GET /api/admin/jobs`: an SMTP server that is down shows as queued emails with their error and next
attempt; dead jobs are listed; the endpoint needs the admin token."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from purser.app import build
from purser.config import Settings
from purser.ports.outbox import OutgoingEmail
from purser.testing.smtp import SmtpSink
from purser.web.app import create_app


def test_smtp_down_and_dead_jobs_are_visible_to_the_admin(tmp_path: Path) -> None:
    sink = SmtpSink()  # never started: SMTP is down
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", smtp_url=sink.url, admin_token="tok")
    container = build(settings)
    assert container.jobs is not None and container.outbox is not None

    def broken(_payload: object, _ctx: object) -> None:
        raise RuntimeError("the handler broke")

    container.jobs.register("demo.broken", broken, retries=0)
    container.jobs.enqueue("demo.broken", {}, key="demo:1")
    email = OutgoingEmail(to="ada@example.com", subject="Declined", text="...", kind="dunning")
    entry = container.outbox.send(email, key="r1")
    container.jobs.run_due()
    with TestClient(create_app(container)) as client:
        assert client.get("/api/admin/jobs").status_code == 401
        report = client.get("/api/admin/jobs", headers={"Authorization": "Bearer tok"}).json()
    assert report["smtp"] == f"127.0.0.1:{sink.port}"
    assert report["emails"]["queued"] >= 1 and report["jobs"]["dead"] >= 1
    [dead] = [j for j in report["dead_jobs"] if j["key"] == "demo:1"]
    assert dead["last_error"] == "RuntimeError: the handler broke"
    [waiting] = [e for e in report["undelivered_emails"] if e["id"] == entry.id]
    assert waiting["attempts"] == 1 and "Connection refused" in waiting["last_error"]
    assert waiting["next_attempt_at"] is not None
    container.close()
