"""`StripeProcessor.list_customers(after=...)` pages with Stripe's `starting_after`, against localstripe:
reconciliation reads every customer, not the first page."""

from __future__ import annotations

import uuid

import stripe

from purser.audit.reconcile import every_customer
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe.client import make_client


def test_every_customer_is_read_page_by_page(localstripe_url: str) -> None:
    client: stripe.StripeClient = make_client("sk_test_purser", api_base=localstripe_url)
    tag = uuid.uuid4().hex[:8]
    made = {client.v1.customers.create({"email": f"p{i}-{tag}@example.com", "name": f"P{i}"}).id for i in range(5)}
    processor = StripeProcessor(client)
    first = processor.list_customers(limit=2)
    assert len(first) == 2
    second = processor.list_customers(limit=2, after=first[-1].id)
    assert second and not {c.id for c in second} & {c.id for c in first}
    seen = [c.id for c in every_customer(processor, page_size=2)]
    assert len(seen) == len(set(seen)) and made <= set(seen)
