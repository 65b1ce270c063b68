"""Issue 15's Stripe "done when" against localstripe: a signed `invoice.payment_failed` webhook opens a
dunning case (through the `stripe.event` and `dunning.event` jobs) and the outreach is really delivered
over SMTP; the same webhook again opens nothing and sends nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import stripe

from purser.app import build
from purser.config import Settings
from purser.dunning.jobs import TICK_KIND
from purser.policy.schema import Policy
from purser.processors.stripe.client import make_client
from purser.store.dunning import SqlDunningRepository
from purser.testing.smtp import SmtpSink
from purser.web.app import create_app

SECRET = "whsec_dunning_test"
PUBLIC_URL = "https://billing.example.test"


def _failing_subscription(client: stripe.StripeClient) -> tuple[str, str]:
    """A customer whose card is attached fine but declines charges: the first invoice stays open."""
    customer = client.v1.customers.create({"email": "ana@example.com", "name": "Ana Silva"})
    card = {"number": "4000000000000341", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    pm = client.v1.payment_methods.create({"type": "card", "card": card})  # type: ignore[typeddict-item]
    client.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    product = client.v1.products.create({"name": "Pro"})
    plan = client.v1.plans.create({"amount": 5000, "currency": "usd", "interval": "month", "product": product.id})
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan.id}]})
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert invoice.status == "open"
    return customer.id, invoice.id


def _signed(event: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


async def test_a_signed_payment_failed_opens_a_case_and_emails(localstripe_url: str, tmp_path: Path) -> None:
    client = make_client("sk_test_purser", api_base=localstripe_url)
    customer_id, invoice_id = _failing_subscription(client)
    with SmtpSink() as sink:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'purser.db'}",
            processor="stripe",
            stripe_api_key="sk_test_purser",
            stripe_api_base=localstripe_url,
            stripe_webhook_secret=SECRET,
            smtp_url=sink.url,
            public_url=PUBLIC_URL,
            link_secret="stripe-dunning-secret",
            # The customer has no address (no time zone): quiet hours would be read in UTC and could hold
            # the outreach until morning, depending on when the test runs.
            policy=Policy.from_mapping({"dunning": {"quiet_hours": None}}),
        )
        container = build(settings)
        assert container.jobs is not None
        invoice = {"id": invoice_id, "object": "invoice", "customer": customer_id, "status": "open", "amount_due": 5000,
                   "currency": "usd", "attempt_count": 1}  # fmt: skip
        event = {"id": "evt_dunning_1", "object": "event", "type": "invoice.payment_failed",
                 "created": int(time.time()), "data": {"object": invoice}}  # fmt: skip
        payload, headers = _signed(event)
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            first = await web.post("/webhooks/stripe", content=payload, headers=headers)
            assert first.status_code == 200, first.text
            container.jobs.run_due()  # stripe.event, then dunning.event: the case opens
            [case] = SqlDunningRepository(container.db).cases()
            assert case.invoice_id == invoice_id and case.customer_id == customer_id
            assert case.decline_reason == "card_declined" and case.card == "Visa ending 0341"
            # What the periodic tick does: the case's first step, then its email's delivery job.
            slot = f"{TICK_KIND}:{datetime.now(UTC):%Y%m%dT%H%M%S}"
            container.jobs.enqueue(TICK_KIND, {}, key=slot)
            container.jobs.run_due()
            [message] = sink.wait_for(1)
            assert message["To"] == "ana@example.com" and message["X-Purser-Kind"] == "dunning"
            text = message.get_content()
            assert "$50.00" in text and "Visa ending 0341" in text
            link = re.search(re.escape(PUBLIC_URL) + r"/pay/(\S+)", text)
            assert link, text
            # The same webhook again, and another tick: nothing new.
            again = await web.post("/webhooks/stripe", content=payload, headers=headers)
            assert again.status_code == 200
            container.jobs.enqueue(TICK_KIND, {}, key=slot + "-again")
            container.jobs.run_due()
            assert len(SqlDunningRepository(container.db).cases()) == 1 and len(sink.received) == 1
            # On Stripe the card is entered on Stripe's own page: our page leads there. localstripe has no
            # Billing Portal, so the button answers a clear 502 and the link stays usable.
            token = link.group(1)
            page = await web.get(f"/pay/{token}")
            assert page.status_code == 200 and "secure page" in page.text
            refused = await web.post(f"/pay/{token}")
            assert refused.status_code == 502 and "this link still works" in refused.text
            assert (await web.get(f"/pay/{token}")).status_code == 200

            # The customer saves a good card at Stripe: its `payment_method.attached` event retries at once.
            good = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer_id})
            client.v1.customers.update(customer_id, {"invoice_settings": {"default_payment_method": good.id}})
            attached = {"id": "evt_dunning_2", "object": "event", "type": "payment_method.attached",
                        "created": int(time.time()), "data": {"object": good.to_dict()}}  # fmt: skip
            body, signed = _signed(attached)
            assert (await web.post("/webhooks/stripe", content=body, headers=signed)).status_code == 200
            container.jobs.run_due()
            [case] = SqlDunningRepository(container.db).cases()
            assert case.status.value == "recovered" and case.recovered_by is not None
            assert case.recovered_by.value == "customer"
            assert client.v1.invoices.retrieve(invoice_id).status == "paid"
            _, confirmation = sink.wait_for(2)
            assert (
                confirmation["X-Purser-Kind"] == "dunning_recovered"
                and "Visa ending 4242" in confirmation.get_content()
            )
        container.close()
