"""Every action over the SDK's own HTTP-client seam, replaying Stripe's example objects (fixtures3.json).

Covers what localstripe lacks (prices, proration previews, pause_collection, schedules, the Billing
Portal, idempotency keys) and asserts the exact requests: path, parameters, Idempotency-Key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from purser.domain import ChargeId, CustomerId, InvoiceId, PlanId, SubscriptionId
from purser.money import Money
from purser.processors.errors import CardDeclined, InvalidRequest, ProcessorUnavailable
from purser.processors.stripe import StripeProcessor
from purser.processors.stripe import client as client_module
from purser.processors.stripe.client import make_client

from .conftest import ReplayHTTPClient, stripe_fixture

PERIOD_START = 1793491200  # 2026-11-01T00:00:00Z
PERIOD_END = 1796083200  # 2026-12-01T00:00:00Z
PRORATION = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.fixture
def http() -> ReplayHTTPClient:
    return ReplayHTTPClient()


@pytest.fixture
def processor(http: ReplayHTTPClient, monkeypatch: pytest.MonkeyPatch) -> StripeProcessor:
    monkeypatch.setattr(client_module.time, "sleep", lambda _s: None)
    return StripeProcessor(make_client("sk_test_replay", http_client=http))


def price(pid: str, amount: int, name: str) -> dict[str, Any]:
    obj = stripe_fixture("price")
    obj.update(id=pid, unit_amount=amount, currency="usd", nickname=name, product={"id": "prod_1", "name": name})
    obj["recurring"]["interval"] = "month"
    return obj


def subscription(**extra: Any) -> dict[str, Any]:
    obj = stripe_fixture("subscription")
    obj.update(id="sub_1", customer="cus_1", status="active", schedule=None, pause_collection=None)
    item = obj["items"]["data"][0]
    item.update(id="si_1", price=price("price_pro", 2000, "Pro"), quantity=1)
    item.update(current_period_start=PERIOD_START, current_period_end=PERIOD_END)
    obj.update(extra)
    return obj


def listing(*objs: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": list(objs), "has_more": False, "url": "/v1/x"}


def invoice(**extra: Any) -> dict[str, Any]:
    obj = stripe_fixture("invoice")
    obj.update(id="in_1", customer="cus_1", status="paid", total=2000, subtotal=2000, currency="usd", number="A-1")
    obj.update(extra)
    return obj


def plans_listing() -> dict[str, Any]:
    return listing(price("price_pro", 2000, "Pro"), price("price_biz", 5000, "Business"))


def test_lookup_in_few_calls(http: ReplayHTTPClient, processor: StripeProcessor) -> None:
    customer = stripe_fixture("customer")
    customer.update(
        id="cus_1", name="Li Wei", email="li@example.com", invoice_settings={"default_payment_method": "pm_1"}
    )
    customer["tax_ids"] = listing({"type": "eu_vat", "value": "FR40303265045", "id": "txi_1"})
    pm = stripe_fixture("payment_method")
    pm.update(id="pm_1", customer="cus_1")
    charge = stripe_fixture("charge")
    charge.update(id="ch_1", customer="cus_1", amount=2000, amount_refunded=0, currency="usd", status="succeeded")
    charge["refunds"] = listing()
    inv = invoice(payments=listing({"payment": {"type": "charge", "charge": "ch_1"}}))
    http.expect("GET", "/v1/customers/cus_1", customer)
    http.expect("GET", "/v1/payment_methods", listing(pm))
    http.expect("GET", "/v1/subscriptions", listing(subscription()))
    http.expect("GET", "/v1/invoices", listing(inv))
    http.expect("GET", "/v1/charges", listing(charge))
    http.expect("GET", "/v1/prices", plans_listing())
    snap = processor.snapshot(CustomerId("cus_1"))
    assert len(http.requests) == 6
    assert http.requests[0]["params"]["expand[0]"] == ["tax_ids"]
    assert snap.customer.vat_id == "FR40303265045"
    assert snap.subscription is not None and snap.subscription.current_period_end == datetime(2026, 12, 1, tzinfo=UTC)
    assert snap.plan is not None and snap.plan.name == "Pro"
    assert snap.charges[0].invoice_id == "in_1"
    assert snap.default_payment_method is not None


def test_refund_sends_idempotency_key_reason_and_metadata(http: ReplayHTTPClient, processor: StripeProcessor) -> None:
    charge = stripe_fixture("charge")
    charge.update(id="ch_1", customer="cus_1", amount=2000, amount_refunded=0, currency="usd", disputed=False)
    refund = stripe_fixture("refund")
    refund.update(id="re_1", charge="ch_1", amount=2000, currency="usd", metadata={"conversation": "c1"})
    http.expect("GET", "/v1/charges/ch_1", charge)
    http.expect("POST", "/v1/refunds", refund)
    result = processor.refund(
        ChargeId("ch_1"), Money(2000, "usd"), reason="duplicate", metadata={"conversation": "c1"},
        idempotency_key="c1:act_9",
    )  # fmt: skip
    sent = http.requests[1]
    assert sent["headers"]["Idempotency-Key"] == "c1:act_9"
    assert sent["params"]["charge"] == ["ch_1"]
    assert sent["params"]["amount"] == ["2000"]
    assert sent["params"]["reason"] == ["duplicate"]
    assert sent["params"]["metadata[conversation]"] == ["c1"]
    assert sent["params"]["metadata[reason]"] == ["duplicate"]
    assert result.amount == Money(2000, "usd")


def test_disputed_charge_is_refused_before_any_write(http: ReplayHTTPClient, processor: StripeProcessor) -> None:
    charge = stripe_fixture("charge")
    charge.update(id="ch_1", amount=2000, amount_refunded=0, currency="usd", disputed=True)
    http.expect("GET", "/v1/charges/ch_1", charge)
    with pytest.raises(InvalidRequest, match="disputed"):
        processor.refund(ChargeId("ch_1"), Money(100, "usd"), reason=None, metadata={}, idempotency_key="k")
    assert [r["method"] for r in http.requests] == ["GET"]


def test_preview_change_uses_create_preview_with_proration_date(
    http: ReplayHTTPClient, processor: StripeProcessor
) -> None:
    preview = invoice(id="upcoming", status="draft")
    unused = {
        "amount": -1000,
        "currency": "usd",
        "description": "Unused time on Pro",
        "proration": True,
        "period": {"start": 1794787200, "end": PERIOD_END},
    }
    remaining = {
        "amount": 2500,
        "currency": "usd",
        "description": "Remaining time on Business",
        "proration": True,
        "period": {"start": 1794787200, "end": PERIOD_END},
    }
    preview["lines"] = listing(unused, remaining)
    http.expect("GET", "/v1/subscriptions/sub_1", subscription())
    http.expect("GET", "/v1/prices", plans_listing())
    http.expect("POST", "/v1/invoices/create_preview", preview)
    quote = processor.preview_change(
        SubscriptionId("sub_1"), plan_id=PlanId("price_biz"), quantity=1, timing="now_prorated",
        proration_date=PRORATION,
    )  # fmt: skip
    params = http.requests[2]["params"]
    assert params["subscription_details[proration_date]"] == [str(int(PRORATION.timestamp()))]
    assert params["subscription_details[items][0][price]"] == ["price_biz"]
    assert params["subscription_details[items][0][id]"] == ["si_1"]
    assert quote.amount_due_now == Money(1500, "usd")
    assert [line.amount.minor for line in quote.lines] == [-1000, 2500]


def test_change_now_and_at_period_end(http: ReplayHTTPClient, processor: StripeProcessor) -> None:
    updated = subscription(latest_invoice="in_2")
    http.expect("GET", "/v1/subscriptions/sub_1", subscription())
    http.expect("POST", "/v1/subscriptions/sub_1", updated)
    http.expect("GET", "/v1/invoices/in_2", invoice(id="in_2", total=1500, subtotal=1500))
    result = processor.change_subscription(
        SubscriptionId("sub_1"), plan_id=PlanId("price_biz"), quantity=1, timing="now_prorated",
        proration_date=PRORATION, idempotency_key="c1:act_2",
    )  # fmt: skip
    sent = http.requests[1]
    assert sent["params"]["proration_behavior"] == ["always_invoice"]
    assert sent["headers"]["Idempotency-Key"] == "c1:act_2"
    assert result.invoice is not None and result.invoice.total == Money(1500, "usd")

    schedule = stripe_fixture("subscription_schedule")
    schedule.update(
        id="sub_sched_1",
        phases=[
            {"items": [{"price": "price_pro", "quantity": 1}]},
            {"items": [{"price": "price_basic", "quantity": 1}]},
        ],
    )
    http.expect("GET", "/v1/subscriptions/sub_1", subscription())
    http.expect("GET", "/v1/prices", listing(price("price_basic", 1000, "Basic")))
    http.expect("POST", "/v1/subscription_schedules", schedule)
    http.expect("POST", "/v1/subscription_schedules/sub_sched_1", schedule)
    http.expect("GET", "/v1/subscriptions/sub_1", subscription(schedule="sub_sched_1"))
    later = processor.change_subscription(
        SubscriptionId("sub_1"), plan_id=PlanId("price_basic"), quantity=1, timing="period_end",
        proration_date=PRORATION, idempotency_key="c1:act_3",
    )  # fmt: skip
    assert http.requests[5]["params"]["from_subscription"] == ["sub_1"]
    assert http.requests[6]["params"]["phases[1][items][0][price]"] == ["price_basic"]
    assert http.requests[6]["params"]["phases[1][duration][interval]"] == ["month"]
    assert later.subscription.scheduled_plan_id == "price_basic"


def test_pause_resume_cancel_link_retry(http: ReplayHTTPClient, processor: StripeProcessor) -> None:
    resumes = datetime(2027, 3, 1, tzinfo=UTC)
    http.expect(
        "POST",
        "/v1/subscriptions/sub_1",
        subscription(pause_collection={"behavior": "void", "resumes_at": int(resumes.timestamp())}),
    )
    paused = processor.pause(SubscriptionId("sub_1"), resumes_at=resumes, idempotency_key="p1")
    assert http.requests[-1]["params"]["pause_collection[behavior]"] == ["void"]
    assert paused.status.value == "paused" and paused.resumes_at == resumes

    http.expect("POST", "/v1/subscriptions/sub_1", subscription())
    assert processor.resume(SubscriptionId("sub_1"), idempotency_key="r1").status.value == "active"
    assert http.requests[-1]["params"]["pause_collection"] == [""]
    assert http.requests[-1]["params"]["cancel_at_period_end"] == ["false"]  # a scheduled cancellation is withdrawn too

    http.expect("POST", "/v1/subscriptions/sub_1", subscription(cancel_at_period_end=True))
    assert processor.cancel(SubscriptionId("sub_1"), effective="period_end", idempotency_key="x1").cancel_at_period_end

    session = stripe_fixture("billing_portal.session")
    session.update(url="https://billing.stripe.com/p/session/test_1")
    http.expect("POST", "/v1/billing_portal/sessions", session)
    link = processor.payment_method_link(CustomerId("cus_1"), idempotency_key="l1")
    assert link.url.startswith("https://billing.stripe.com/")
    assert http.requests[-1]["params"]["flow_data[type]"] == ["payment_method_update"]

    http.expect("POST", "/v1/invoices/in_1/pay", invoice(status="paid"))
    assert processor.retry_invoice(InvoiceId("in_1"), idempotency_key="rt1").status.value == "paid"
    assert http.requests[-1]["headers"]["Idempotency-Key"] == "rt1"

    http.expect(
        "POST",
        "/v1/invoices/in_1/pay",
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            }
        },
        status=402,
    )
    with pytest.raises(CardDeclined) as declined:
        processor.retry_invoice(InvoiceId("in_1"), idempotency_key="rt2")
    assert declined.value.code == "insufficient_funds"


def test_429_is_retried_only_with_an_idempotency_key(http: ReplayHTTPClient, processor: StripeProcessor) -> None:
    limited = {"error": {"type": "rate_limit_error", "message": "Too many requests"}}
    http.expect("POST", "/v1/subscriptions/sub_1", limited, status=429)
    http.expect("POST", "/v1/subscriptions/sub_1", subscription(cancel_at_period_end=True))
    processor.cancel(SubscriptionId("sub_1"), effective="period_end", idempotency_key="x2")
    assert [r["headers"]["Idempotency-Key"] for r in http.requests] == ["x2", "x2"]

    from purser.processors.stripe.client import call

    http.expect("POST", "/v1/customers/cus_1", limited, status=429)
    with pytest.raises(ProcessorUnavailable):
        call(processor.v1.customers.update, "cus_1", {"name": "x"})  # no key: not retried
    assert len(http.requests) == 3


def test_send_invoice_finalizes_and_sends_or_emails_the_links(
    http: ReplayHTTPClient, processor: StripeProcessor
) -> None:
    customer = stripe_fixture("customer")
    customer.update(id="cus_1", name="Acme SAS", email="compta@acme.example")
    draft = invoice(id="in_d", status="draft", collection_method="send_invoice")
    opened = invoice(id="in_d", status="open", collection_method="send_invoice")
    http.expect("GET", "/v1/invoices/in_d", draft)
    http.expect("POST", "/v1/invoices/in_d/finalize", opened)
    http.expect("GET", "/v1/customers/cus_1", customer)
    http.expect("POST", "/v1/invoices/in_d/send", opened)
    sent = processor.send_invoice(InvoiceId("in_d"), idempotency_key="s1")
    assert sent.to == "compta@acme.example"
    assert http.requests[1]["headers"]["Idempotency-Key"] == "s1:fin"
    assert http.requests[3]["headers"]["Idempotency-Key"] == "s1"

    paid = invoice(id="in_p", status="paid", hosted_invoice_url="https://invoice.stripe.com/i/x",
                   invoice_pdf="https://pay.stripe.com/invoice/x/pdf")  # fmt: skip
    http.expect("GET", "/v1/invoices/in_p", paid)
    http.expect("GET", "/v1/customers/cus_1", customer)
    http.expect("GET", "/v1/customers/cus_1", customer)
    emailed = processor.send_invoice(InvoiceId("in_p"), idempotency_key="s2")
    assert emailed.email is not None and emailed.email.kind == "invoice"
    assert "https://pay.stripe.com/invoice/x/pdf" in emailed.email.body
    assert [r["method"] for r in http.requests[4:]] == ["GET", "GET", "GET"]  # no write to Stripe for a paid one


def test_update_billing_details_sets_address_and_eu_vat_tax_id(
    http: ReplayHTTPClient, processor: StripeProcessor
) -> None:
    from purser.domain import Address

    customer = stripe_fixture("customer")
    customer.update(id="cus_1", name="Acme SAS", email="compta@acme.example")
    customer["tax_ids"] = listing()
    with_vat = dict(customer, tax_ids=listing({"id": "txi_1", "type": "eu_vat", "value": "FR40303265045"}))
    http.expect("POST", "/v1/customers/cus_1", customer)
    http.expect("GET", "/v1/customers/cus_1", customer)
    http.expect("POST", "/v1/customers/cus_1/tax_ids", {"id": "txi_1", "object": "tax_id"})
    http.expect("GET", "/v1/customers/cus_1", with_vat)
    updated = processor.update_billing_details(
        CustomerId("cus_1"), address=Address(line1="1 Rue", city="Paris", postal_code="75001", country="FR"),
        vat_id="FR 40 303 265 045", idempotency_key="b1",
    )  # fmt: skip
    assert http.requests[0]["params"]["address[city]"] == ["Paris"]
    assert http.requests[0]["headers"]["Idempotency-Key"] == "b1"
    assert http.requests[2]["params"] == {"type": ["eu_vat"], "value": ["FR40303265045"]}
    assert http.requests[2]["headers"]["Idempotency-Key"] == "b1:vat"
    assert updated.vat_id == "FR40303265045"
    with pytest.raises(InvalidRequest, match="not a valid EU VAT number"):
        processor.update_billing_details(CustomerId("cus_1"), vat_id="FR00000000000", idempotency_key="b2")
    assert len(http.requests) == 4  # an invalid VAT id sends nothing
