"""Invoice PDFs are real documents: parsed back with pypdf, they show the number, VAT ids and total."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from purser.domain import (
    Address,
    BillingDetails,
    Customer,
    CustomerId,
    Invoice,
    InvoiceId,
    InvoiceLine,
    InvoiceStatus,
)
from purser.money import Money
from purser.processors.sandbox.pdf import latin1, render_invoice_pdf
from purser.processors.sandbox.tax import DEFAULT_SELLER, REVERSE_CHARGE_NOTE, tax_for

OCT = datetime(2026, 10, 1, tzinfo=UTC)
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def make_invoice(currency: str, subtotal: str, *, country: str, vat_id: str | None) -> Invoice:
    sub = Money.parse(subtotal, currency)
    tax = tax_for(DEFAULT_SELLER.country, country, vat_id, sub)
    return Invoice(
        id=InvoiceId("in_acme_10"),
        customer_id=CustomerId("cus_acme"),
        number="ACME-0005",
        status=InvoiceStatus.PAID,
        created=OCT,
        subtotal=sub,
        tax=tax.tax,
        total=sub + tax.tax,
        lines=(InvoiceLine("Pro × 1 (1 Oct – 1 Nov 2026)", sub, 1, OCT, NOV),),
        amount_paid=sub + tax.tax,
        tax_note=tax.note,
    )


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_reverse_charge_invoice_shows_number_vat_ids_total_and_note() -> None:
    buyer = BillingDetails(
        "Acme SAS", "compta@acme.example", Address("1 rue de Rivoli", "Paris", "75001", "FR"), "FR40303265045"
    )
    invoice = make_invoice("eur", "20.00", country="FR", vat_id=buyer.vat_id)
    text = text_of(render_invoice_pdf(invoice, DEFAULT_SELLER, buyer))
    assert "ACME-0005" in text
    assert "FR40303265045" in text
    assert "IE6388047V" in text
    assert "Total EUR 20.00" in text
    assert "Reverse charge" in text and REVERSE_CHARGE_NOTE[:40] in text.replace("\n", " ")
    assert "75001 Paris" in text and "Dublin" in text
    assert "France" in text and "Ireland" in text
    assert "VAT (reverse charge) EUR 0.00" in text
    assert "01 Oct 2026" in text


def test_taxed_invoice_shows_rate_and_formatted_amounts() -> None:
    buyer = BillingDetails("Ana Silva", "ana@example.com", Address("Rua Augusta 1", "Lisboa", "1100-048", "PT"))
    text = text_of(render_invoice_pdf(make_invoice("eur", "20.00", country="PT", vat_id=None), DEFAULT_SELLER, buyer))
    assert "Tax (23%) EUR 4.60" in text
    assert "Total EUR 24.60" in text
    assert "Reverse charge" not in text


def test_usd_and_jpy_amounts_use_money_format() -> None:
    buyer = BillingDetails("Kim Lee", "kim@example.com", Address("1 Main Street", "Springfield", "12345", "US"))
    assert "Total $20.00" in text_of(
        render_invoice_pdf(make_invoice("usd", "20.00", country="US", vat_id=None), buyer=buyer)
    )
    jp = BillingDetails("Sato Kenji", "kenji@example.jp", Address("1-1 Chiyoda", "Tokyo", "100-0001", "JP"))
    assert "Total ¥1,500" in text_of(
        render_invoice_pdf(make_invoice("jpy", "1500", country="JP", vat_id=None), buyer=jp)
    )


def test_text_outside_latin1_is_transliterated_not_fatal() -> None:
    customer = Customer(
        CustomerId("cus_pl"),
        "Łukasz Żółć",
        "l@example.pl",
        Address("ul. Świętokrzyska 1", "Łódź", "90-001", "PL"),
        None,
        OCT,
    )
    text = text_of(render_invoice_pdf(make_invoice("eur", "10.00", country="PL", vat_id=None), customer=customer))
    assert "Lukasz Zólc" in text
    assert "Lódz" in text


def test_latin1_helper() -> None:
    assert latin1("20,00\u00a0€") == "20,00 EUR"
    assert latin1("“Pro” – ½…") == '"Pro" - ½...'
    assert latin1("東京") == "??"


def test_deterministic_and_needs_a_buyer() -> None:
    invoice = make_invoice("usd", "20.00", country="US", vat_id=None)
    buyer = BillingDetails("Kim", "kim@example.com")
    assert render_invoice_pdf(invoice, buyer=buyer) == render_invoice_pdf(invoice, buyer=buyer)
    with pytest.raises(ValueError, match="buyer"):
        render_invoice_pdf(invoice)
