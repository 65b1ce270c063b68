"""Every processor's email goes through the one outbox and really arrives over SMTP: the sandbox's (also
kept in its own email record for `purser customer show`, the invoice PDF attached) and the bootstrap's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from purser.app import Container, build
from purser.config import Settings
from purser.domain import CustomerId
from purser.processors.sandbox import SandboxProcessor
from purser.testing.smtp import SmtpSink
from purser.worlds.seed import seed


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def container(tmp_path: Path, sink: SmtpSink) -> Iterator[Container]:
    built = build(Settings(database_url=f"sqlite:///{tmp_path / 'purser.db'}", smtp_url=sink.url))
    seed(built.processor)
    yield built
    built.close()


def test_sandbox_emails_are_recorded_and_delivered_once(container: Container, sink: SmtpSink) -> None:
    processor = container.processor
    assert isinstance(processor, SandboxProcessor) and container.outbox is not None and container.jobs is not None
    customer = processor.list_customers()[0]
    snap = processor.snapshot(CustomerId(customer.id))
    invoice = snap.invoices[0]
    email = processor.notify(
        customer.id, kind="cancellation", subject="Your plan ends", body="It ends on 1 May.", idempotency_key="n1"
    )
    processor.notify(  # the same key: replayed, nothing more is sent
        customer.id, kind="cancellation", subject="Your plan ends", body="It ends on 1 May.", idempotency_key="n1"
    )
    sent = processor.send_invoice(invoice.id, idempotency_key="inv1")
    assert container.jobs.run_due() >= 2  # the two deliveries (and any periodic job that is due)
    received = {str(m["X-Purser-Kind"]): m for m in sink.wait_for(2)}
    assert len(sink.received) == 2
    assert received["cancellation"]["To"] == customer.email and received["cancellation"]["Subject"] == "Your plan ends"
    [pdf] = list(received[sent.email.kind if sent.email else "invoice"].iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    kinds = [e.kind for e in processor.emails(CustomerId(customer.id))]
    assert kinds.count("cancellation") == 1  # the sandbox's own record (customer show)
    entries = container.outbox.entries()
    assert {e.status for e in entries} == {"sent"} and {e.key for e in entries} >= {f"sandbox:{email.id}"}


def test_verification_codes_and_other_senders_use_the_same_outbox(container: Container, sink: SmtpSink) -> None:
    from purser.ports.outbox import OutgoingEmail

    assert container.outbox is not None and container.jobs is not None
    container.outbox.send(
        OutgoingEmail(to="sam@example.com", subject="Your code", text="123456", kind="verification_code"), key="vc1"
    )
    container.jobs.run_due()
    [msg] = sink.wait_for(1)
    assert msg["Subject"] == "Your code" and msg["Message-ID"] == container.outbox.entries()[0].message_id


def test_a_replay_after_a_crash_before_the_hand_over_still_delivers_once(container: Container, sink: SmtpSink) -> None:
    processor = container.processor
    assert isinstance(processor, SandboxProcessor) and container.jobs is not None
    customer = processor.list_customers()[0]
    # The write committed, then the process died before the outbox got the email (no outbox here).
    crashed = SandboxProcessor(container.db)
    email = crashed.notify(customer.id, kind="dunning", subject="Declined", body="...", idempotency_key="d1")
    assert container.outbox is not None and container.outbox.entries() == []
    for _ in range(2):  # the job re-runs the step: the write is replayed, the email handed over (once)
        again = processor.notify(customer.id, kind="dunning", subject="Declined", body="...", idempotency_key="d1")
        assert again.id == email.id
    container.jobs.run_due()
    [msg] = sink.wait_for(1)
    assert msg["X-Purser-Kind"] == "dunning" and [e.key for e in container.outbox.entries()] == [f"sandbox:{email.id}"]
