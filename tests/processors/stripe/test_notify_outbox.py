"""On Stripe, Purser's own confirmations (`notify`) go through the outbox and arrive over SMTP (localstripe)."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe

from purser.app import memory_database
from purser.domain import CustomerId
from purser.jobs import HueyJobQueue
from purser.mail import OutboxService
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe.client import make_client
from purser.store.jobs import JobStore
from purser.store.outbox import OutboxStore
from purser.testing.smtp import SmtpSink


@pytest.fixture
def client(localstripe_url: str) -> stripe.StripeClient:
    return make_client("sk_test_purser", api_base=localstripe_url)


def test_notify_is_delivered_once_per_key(client: stripe.StripeClient, tmp_path: Path) -> None:
    from huey import MemoryHuey

    customer = client.v1.customers.create({"email": "ana@example.com", "name": "Ana Silva"})
    db = memory_database()
    queue = HueyJobQueue(JobStore(db), MemoryHuey("t", results=False))
    with SmtpSink() as sink:
        outbox = OutboxService(OutboxStore(db), queue, smtp_url=sink.url)
        processor = StripeProcessor(client, db=db, outbox=outbox)
        first = processor.notify(
            CustomerId(customer.id), kind="cancellation", subject="Cancelled", body="Ends 1 May.", idempotency_key="c1"
        )
        again = processor.notify(
            CustomerId(customer.id), kind="cancellation", subject="Cancelled", body="Ends 1 May.", idempotency_key="c1"
        )
        assert again == first and first.to == "ana@example.com"
        assert queue.run_due() == 1
        [msg] = sink.wait_for(1)
        assert msg["To"] == "ana@example.com" and msg["X-Purser-Kind"] == "cancellation"
        assert "Ends 1 May." in msg.get_content()
        # A new process (no in-memory record): the same key still sends nothing new.
        fresh = StripeProcessor(client, db=db, outbox=outbox)
        fresh.notify(
            CustomerId(customer.id), kind="cancellation", subject="Cancelled", body="Ends 1 May.", idempotency_key="c1"
        )
        assert queue.run_due() == 0 and len(sink.received) == 1
    db.dispose()
