"""A message recorded while no SMTP server was configured is sent once one is (the packaged SMTP sink)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import SqliteHuey

from purser.app import memory_database
from purser.jobs import HueyJobQueue
from purser.mail import OutboxService
from purser.mail.outbox import NOT_CONFIGURED
from purser.ports.outbox import OutgoingEmail
from purser.store.db import Database
from purser.store.jobs import JobStore
from purser.store.outbox import OutboxStore
from purser.testing.smtp import SmtpSink


@pytest.fixture
def db() -> Iterator[Database]:
    database = memory_database()
    yield database
    database.dispose()


def outbox_on(db: Database, tmp_path: Path, smtp_url: str | None, *, name: str) -> OutboxService:
    """An outbox as a process with these settings builds it (its own queue file: another process)."""
    queue = HueyJobQueue(JobStore(db), SqliteHuey(name, filename=str(tmp_path / f"{name}.db"), results=False))
    return OutboxService(OutboxStore(db), queue, smtp_url=smtp_url, retries=3, retry_delay_seconds=30)


def reply(n: int) -> OutgoingEmail:
    return OutgoingEmail(to=f"ada{n}@example.com", subject="Re: my refund", text="Done.", kind="reply")


def test_a_message_recorded_without_smtp_is_sent_once_smtp_is_configured(db: Database, tmp_path: Path) -> None:
    demo = outbox_on(db, tmp_path, None, name="demo")
    entries = [demo.send(reply(n), key=f"reply:{n}") for n in range(3)]
    assert demo.queue.run_due() == 3
    assert all(demo.get(e.id).last_error == NOT_CONFIGURED for e in entries)  # type: ignore[union-attr]
    assert demo.resume() == 0  # still no SMTP here
    with SmtpSink() as sink:
        configured = outbox_on(db, tmp_path, sink.url, name="configured")  # resumes as it is built
        assert configured.resume() == 0  # each message has its job already
        assert outbox_on(db, tmp_path, sink.url, name="another").resume() == 0  # another process: none either
        assert configured.queue.run_due() == 3
        received = sink.wait_for(3)
        assert sorted(m["Message-ID"] for m in received) == sorted(e.message_id for e in entries)
        for entry in entries:
            sent = configured.get(entry.id)
            assert sent is not None and sent.status == "sent" and sent.delivered_at is not None
        assert configured.queue.run_due() == 0 and len(sink.received) == 3


def test_resume_leaves_messages_that_are_on_their_way(db: Database, tmp_path: Path) -> None:
    down = outbox_on(db, tmp_path, "smtp://127.0.0.1:1", name="down")  # SMTP set but not answering
    entry = down.send(reply(0), key="reply:0")
    assert down.queue.run_due() == 1  # the attempt fails; its own job retries it
    row = down.get(entry.id)
    assert row is not None and row.status == "queued" and row.last_error and row.last_error != NOT_CONFIGURED
    assert down.resume() == 0
