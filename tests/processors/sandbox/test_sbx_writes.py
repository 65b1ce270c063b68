"""Refunds, billing details, emails, payment links, disputes and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from purser.domain import Address, ChargeId, CustomerId, InvoiceId
from purser.money import Money
from purser.processors.errors import IdempotencyError, InvalidRequest, NotFound
from purser.processors.sandbox import SandboxProcessor


def usd(text: str) -> Money:
    return Money.parse(text, "usd")


CH = ChargeId("ch_cus_li")


def refund(processor: SandboxProcessor, amount: str, key: str, charge: ChargeId = CH) -> Any:
    return processor.refund(
        charge, usd(amount), reason="requested_by_customer", metadata={"conv": "c1"}, idempotency_key=key
    )


def test_partial_then_full_refund(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    first = refund(processor, "5.00", "r1")
    assert first.amount == usd("5.00") and first.metadata == {"conv": "c1"}
    assert first.created == datetime(2026, 11, 16, tzinfo=UTC)
    refund(processor, "15.00", "r2")
    charge = processor.snapshot(CustomerId("cus_li")).charge(CH)
    assert charge is not None and charge.amount_refunded == usd("20.00") and charge.refundable.is_zero
    with pytest.raises(InvalidRequest) as err:
        refund(processor, "0.01", "r3")
    assert err.value.code == "charge_already_refunded"
    types = [e.type for e in processor.list_writes()]
    assert types == ["refund.created", "charge.refunded"] * 2
    refunded_event = processor.list_writes()[-1]
    assert refunded_event.data["object"]["amount_refunded"] == 2000
    assert refunded_event.data["object"]["refunded"] is True


def test_refund_above_remaining_changes_nothing(processor: SandboxProcessor, world: Any, table_counts: Any) -> None:
    world.customer("cus_li")
    refund(processor, "15.00", "r1")
    before = table_counts()
    with pytest.raises(InvalidRequest) as err:
        refund(processor, "5.01", "r2")
    assert err.value.code == "amount_too_large" and "5.00" in err.value.message
    assert table_counts() == before


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [("0", "usd", "invalid_amount"), ("-1.00", "usd", "invalid_amount"), ("5", "jpy", "currency_mismatch")],
)
def test_bad_refund_amounts(processor: SandboxProcessor, world: Any, amount: str, currency: str, code: str) -> None:
    world.customer("cus_li")
    with pytest.raises(InvalidRequest) as err:
        processor.refund(CH, Money.parse(amount, currency), reason=None, metadata={}, idempotency_key="k")
    assert err.value.code == code


def test_refund_of_unknown_charge(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    with pytest.raises(NotFound):
        refund(processor, "1.00", "k", ChargeId("ch_nope"))


def test_disputed_charge_refuses(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    processor.open_dispute(CH, idempotency_key="d1")
    with pytest.raises(InvalidRequest) as err:
        refund(processor, "1.00", "r1")
    assert err.value.code == "charge_disputed"
    snap = processor.snapshot(CustomerId("cus_li"))
    assert snap.disputes[0].charge_id == CH and snap.charges[0].disputed


def test_refund_idempotency(processor: SandboxProcessor, world: Any, table_counts: Any) -> None:
    world.customer("cus_li")
    first = refund(processor, "5.00", "same")
    after = table_counts()
    assert refund(processor, "5.00", "same") == first
    assert table_counts() == after
    with pytest.raises(IdempotencyError):
        refund(processor, "6.00", "same")
    with pytest.raises(IdempotencyError):
        processor.cancel(world.customer("cus_other").id, effective="now", idempotency_key="same")


def test_blank_idempotency_key_is_refused(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    with pytest.raises(InvalidRequest):
        refund(processor, "5.00", " ")


def test_update_billing_details_and_vat(processor: SandboxProcessor, world: Any, table_counts: Any) -> None:
    world.customer("cus_fr", country="FR")
    cust = processor.update_billing_details(
        CustomerId("cus_fr"),
        vat_id="FR 403 032 650 45",
        address=Address("1 rue de Rivoli", "Paris", "75001", "fr"),
        email="compta@acme.example",
        idempotency_key="b1",
    )
    assert cust.vat_id == "FR40303265045" and cust.address.country == "FR" and cust.email == "compta@acme.example"
    event = processor.list_writes()[-1]
    assert event.type == "customer.updated" and event.data["previous_attributes"]["vat_id"] is None
    before = table_counts()
    with pytest.raises(InvalidRequest) as err:
        processor.update_billing_details(CustomerId("cus_fr"), vat_id="FR12345678901", idempotency_key="b2")
    assert err.value.code == "invalid_vat_id"
    with pytest.raises(InvalidRequest) as err:
        processor.update_billing_details(CustomerId("cus_fr"), email="not-an-email", idempotency_key="b3")
    assert err.value.code == "invalid_email"
    assert table_counts() == before


def test_send_invoice_records_the_email(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_fr", country="FR", vat_id="FR40303265045")
    sent = processor.send_invoice(InvoiceId("in_cus_fr"), idempotency_key="s1")
    assert sent.to == "cus_fr@example.com" and sent.email is not None
    assert sent.email.kind == "invoice" and sent.email.invoice_id == "in_cus_fr"
    assert "FR40303265045" in sent.email.body
    assert sent.email.attachment_name == "invoice-FR-0001.pdf"
    assert processor.send_invoice(InvoiceId("in_cus_fr"), idempotency_key="s1") == sent
    assert len(processor.emails(CustomerId("cus_fr"))) == 1
    assert [e.type for e in processor.list_writes()] == ["email.sent", "invoice.sent"]
    pdf = processor.invoice_pdf(InvoiceId("in_cus_fr"))
    assert pdf.startswith(b"%PDF")


def test_notify_and_payment_link(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    link = processor.payment_method_link(CustomerId("cus_li"), idempotency_key="l1")
    assert link.url.startswith("https://billing.sandbox.purser.local/pm/")
    assert link.expires_at == datetime(2026, 11, 17, tzinfo=UTC)
    assert processor.payment_method_link(CustomerId("cus_li"), idempotency_key="l1") == link
    mail = processor.notify(
        CustomerId("cus_li"), kind="payment_link", subject="Update your card", body=link.url, idempotency_key="n1"
    )
    assert mail.kind == "payment_link" and mail.to == "cus_li@example.com"
    snap = processor.snapshot(CustomerId("cus_li"))
    assert [e.kind for e in snap.emails] == ["payment_link"]
    assert [e.type for e in processor.list_writes()] == ["billing_portal.session.created", "email.sent"]


def test_events_since_and_cursor(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_li")
    assert processor.events() == [] and processor.last_event_id() is None
    refund(processor, "1.00", "a")
    cursor = processor.last_event_id()
    refund(processor, "1.00", "b")
    assert len(processor.list_writes(cursor)) == 2
    assert len(processor.events(since=processor.now())) == 4
    assert all(e.id.startswith("evt_") for e in processor.events())
    with pytest.raises(InvalidRequest):
        processor.list_writes("evt_nope")


def test_snapshot_of_unknown_customer(processor: SandboxProcessor, world: Any) -> None:
    with pytest.raises(NotFound):
        processor.snapshot(CustomerId("cus_nobody"))


def test_get_customer_is_the_snapshots_customer_and_refuses_the_same_ids(
    processor: SandboxProcessor, world: Any
) -> None:
    world.customer("cus_a")
    assert processor.get_customer(CustomerId("cus_a")) == processor.snapshot(CustomerId("cus_a")).customer
    with pytest.raises(NotFound) as from_snapshot:
        processor.snapshot(CustomerId("cus_nobody"))
    with pytest.raises(NotFound) as alone:
        processor.get_customer(CustomerId("cus_nobody"))
    assert str(alone.value) == str(from_snapshot.value)


def test_list_customers_and_plans(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_b")
    world.customer("cus_a")
    assert [c.id for c in processor.list_customers()] == ["cus_a", "cus_b"]
    assert len(processor.list_customers(limit=1)) == 1
    assert "pro-monthly" in [p.id for p in processor.list_plans()]


def test_eu_customer_is_taxed(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_pt", country="PT")
    snap = processor.snapshot(CustomerId("cus_pt"))
    assert snap.next_invoice_amount == usd("24.60")  # PT VAT 23% on top of 20.00
    processor.advance_clock(datetime(2026, 12, 1, tzinfo=UTC))
    inv = processor.snapshot(CustomerId("cus_pt")).invoices[0]
    assert (inv.subtotal, inv.tax, inv.total) == (usd("20.00"), usd("4.60"), usd("24.60"))


def test_reverse_charge_note(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_de", country="DE", vat_id="DE136695976")
    processor.advance_clock(datetime(2026, 12, 1, tzinfo=UTC))
    inv = processor.snapshot(CustomerId("cus_de")).invoices[0]
    assert inv.tax.is_zero and inv.tax_note and "Reverse charge" in inv.tax_note


def test_vat_id_can_be_cleared_and_writes_filter_by_customer(processor: SandboxProcessor, world: Any) -> None:
    world.customer("cus_fr", country="FR", vat_id="FR40303265045")
    world.customer("cus_li")
    cust = processor.update_billing_details(CustomerId("cus_fr"), vat_id="", idempotency_key="v")
    assert cust.vat_id is None
    refund(processor, "1.00", "r")
    assert [e.type for e in processor.list_writes(customer_id="cus_fr")] == ["customer.updated"]
    assert len(processor.list_writes(customer_id="cus_li")) == 2
