"""Seams to the sandbox's tax, PDF and mail modules (`tax.py`, `pdf.py`, `mailer.py`).

Those modules are written separately; until one exists, the small fallback here
is used (no tax, a plain one-page PDF, outbox only). Each seam is one function
so switching over is a one-line change.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from purser.domain import Customer, Email, Invoice
from purser.money import Money

_PKG = "purser.processors.sandbox"


def _module(name: str) -> Any | None:
    full = f"{_PKG}.{name}"
    if importlib.util.find_spec(full) is None:
        return None
    return importlib.import_module(full)


def tax_for(country: str | None, vat_id: str | None, subtotal: Money) -> tuple[Money, str | None]:
    """Tax on a tax-exclusive `subtotal` and the note printed on the invoice (reverse charge...)."""
    module = _module("tax")
    if module is not None:
        result = module.tax_for(module.DEFAULT_SELLER.country, country, vat_id, subtotal)
        tax = result.tax
        if not isinstance(tax, Money) or tax.currency != subtotal.currency:
            raise TypeError("tax_for must return Money in the subtotal's currency")
        return tax, result.note
    return Money.zero(subtotal.currency), None


def render_pdf(invoice: Invoice, customer: Customer) -> bytes:
    """The invoice as a PDF document."""
    module = _module("pdf")
    if module is not None:
        return bytes(module.render_invoice_pdf(invoice=invoice, customer=customer))
    return _fallback_pdf(invoice, customer)


def deliver(email: Email, attachment: bytes | None = None) -> None:
    """Hand a recorded outbox email to the mailer (the sandbox never leaves the machine)."""
    module = _module("mailer")
    if module is not None and hasattr(module, "deliver_outbox"):
        module.deliver_outbox(email, attachment)


def _fallback_pdf(invoice: Invoice, customer: Customer) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 10, f"Invoice {invoice.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    addr = customer.address
    buyer = [customer.name, addr.line1 or "", f"{addr.postal_code or ''} {addr.city or ''}".strip()]
    buyer.append(addr.country or "")
    if customer.vat_id:
        buyer.append(f"VAT: {customer.vat_id}")
    for text in ["Purser Sandbox Billing", *buyer, f"Date: {invoice.created:%Y-%m-%d}", ""]:
        pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    for line in invoice.lines:
        pdf.cell(140, 6, _latin1(line.description))
        pdf.cell(0, 6, str(line.amount), new_x="LMARGIN", new_y="NEXT")
    for label, money in (("Subtotal", invoice.subtotal), ("Tax", invoice.tax), ("Total", invoice.total)):
        pdf.cell(140, 6, label)
        pdf.cell(0, 6, str(money), new_x="LMARGIN", new_y="NEXT")
    if invoice.tax_note:
        pdf.cell(0, 6, _latin1(invoice.tax_note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
