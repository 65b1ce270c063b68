"""The outbox over a real SMTP server (the packaged sink): stored once per key with a fixed Message-ID,
delivered by the `email.deliver` job, retried with backoff while SMTP is down, never lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huey import SqliteHuey

from purser.app import memory_database
from purser.jobs import HueyJobQueue
from purser.mail import OutboxService
from purser.mail.outbox import NOT_CONFIGURED
from purser.ports.outbox import Attachment, InvalidEmail, OutgoingEmail
from purser.store.db import Database
from purser.store.jobs import JobStore
from purser.store.outbox import OutboxStore
from purser.testing.smtp import SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def db() -> Iterator[Database]:
    database = memory_database()
    yield database
    database.dispose()


def make_outbox(db: Database, tmp_path: Path, smtp_url: str | None, *, retries: int = 3) -> OutboxService:
    queue = HueyJobQueue(JobStore(db), SqliteHuey("t", filename=str(tmp_path / "q.db"), results=False))
    return OutboxService(OutboxStore(db), queue, smtp_url=smtp_url, retries=retries, retry_delay_seconds=30)


def message(**changes: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": "ada@example.com",
        "subject": "Your card was declined",
        "text": "Your Visa ending 4242 was declined for $50.00.",
        "kind": "dunning",
        "customer_id": "cus_1",
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def test_send_stores_once_per_key_and_the_job_delivers_it(db: Database, tmp_path: Path, sink: SmtpSink) -> None:
    outbox = make_outbox(db, tmp_path, sink.url)
    html = "<p>Your Visa ending 4242 was declined.</p>"
    pdf = Attachment("in_1.pdf", "application/pdf", b"%PDF-1.4 test")
    headers = {"In-Reply-To": "<abc@mail.example>", "References": "<abc@mail.example>"}
    first = outbox.send(message(html=html, headers=headers, attachments=(pdf,)), key="dunning:dc_1:0")
    again = outbox.send(message(subject="something else"), key="dunning:dc_1:0")
    assert again.id == first.id and again.message_id == first.message_id and again.email.subject == first.email.subject
    assert first.status == "queued" and first.message_id.startswith(f"<{first.id}@")
    assert outbox.queue.run_due() == 1
    [received] = sink.wait_for(1)
    assert received["Message-ID"] == first.message_id
    assert received["In-Reply-To"] == "<abc@mail.example>" and received["X-Purser-Kind"] == "dunning"
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and "4242" in body.get_content()
    html_part = received.get_body(preferencelist=("html",))
    assert html_part is not None and "declined" in html_part.get_content()
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "in_1.pdf" and part.get_content() == b"%PDF-1.4 test"
    sent = outbox.get(first.id)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1 and sent.delivered_at is not None
    job = outbox.queue.get(f"email.deliver:{first.id}")
    assert job is not None and job.status == "done"
    assert outbox.queue.run_due() == 0 and len(sink.received) == 1


def test_smtp_down_is_retried_with_backoff_and_delivered_once_it_is_up(
    db: Database, tmp_path: Path, sink: SmtpSink
) -> None:
    outbox = make_outbox(db, tmp_path, sink.url)
    sink.stop()
    entry = outbox.send(message(), key="k-down")
    outbox.queue.run_due()
    down = outbox.get(entry.id)
    assert down is not None and down.status == "queued" and down.attempts == 1
    assert down.last_error is not None and f"127.0.0.1:{sink.port}" in down.last_error
    assert down.next_attempt_at is not None and down.next_attempt_at > datetime.now(UTC) + timedelta(seconds=20)
    sink.start()
    sink.refuse_next(1)  # up, but answers 451 once
    assert outbox.queue.run_due(now=down.next_attempt_at + timedelta(seconds=1)) == 1
    refused = outbox.get(entry.id)
    assert refused is not None and refused.status == "queued" and "451" in (refused.last_error or "")
    assert refused.next_attempt_at is not None
    outbox.queue.run_due(now=refused.next_attempt_at + timedelta(seconds=1))
    [received] = sink.wait_for(1)
    assert received["Message-ID"] == entry.message_id
    done = outbox.get(entry.id)
    assert done is not None and done.status == "sent" and done.attempts == 3


def test_after_the_last_retry_the_email_is_failed_kept_and_requeueable(
    db: Database, tmp_path: Path, sink: SmtpSink
) -> None:
    outbox = make_outbox(db, tmp_path, sink.url, retries=1)
    sink.stop()
    entry = outbox.send(message(), key="k-dead")
    later = datetime.now(UTC) + timedelta(days=1)
    outbox.queue.run_due()
    outbox.queue.run_due(now=later)
    failed = outbox.get(entry.id)
    assert failed is not None and failed.status == "failed" and failed.attempts == 2 and failed.last_error
    assert [e.id for e in outbox.entries(status="failed")] == [entry.id]
    sink.start()
    assert outbox.requeue(entry.id) is True
    outbox.queue.run_due()
    assert sink.wait_for(1)[0]["Message-ID"] == entry.message_id
    sent = outbox.get(entry.id)
    assert sent is not None and sent.status == "sent"


def test_a_password_never_reaches_the_row(db: Database, tmp_path: Path) -> None:
    outbox = make_outbox(db, tmp_path, "smtp://user:hunter2secret@127.0.0.1:1")
    entry = outbox.send(message(), key="k-pw")
    outbox.queue.run_due()
    row = outbox.get(entry.id)
    assert row is not None and row.last_error and "hunter2secret" not in row.last_error
    assert "hunter2secret" not in repr(outbox.target)


def test_without_smtp_the_email_is_recorded_and_says_why_it_was_not_sent(db: Database, tmp_path: Path) -> None:
    outbox = make_outbox(db, tmp_path, None)
    entry = outbox.send(message(), key="k-none")
    outbox.queue.run_due()
    row = outbox.get(entry.id)
    assert row is not None and row.status == "queued" and row.last_error == NOT_CONFIGURED and row.attempts == 0


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"to": "not an address"}, "recipient"),
        ({"to": "a@x.org, b@y.org"}, "recipient"),
        ({"subject": "  "}, "subject"),
        ({"subject": "two\nlines"}, "subject"),
        ({"headers": {"Bcc": "eve@example.com"}}, "Bcc"),
        ({"headers": {"References": "<a@b>\r\nBcc: eve@example.com"}}, "one line"),
        ({"attachments": (Attachment("", "application/pdf", b"x"),)}, "attachment"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(
    db: Database, tmp_path: Path, changes: dict[str, object], complaint: str
) -> None:
    outbox = make_outbox(db, tmp_path, None)
    with pytest.raises(InvalidEmail, match=complaint):
        outbox.send(message(**changes), key="bad")
    assert outbox.entries() == [] and outbox.queue.records() == []
