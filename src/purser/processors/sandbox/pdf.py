"""Invoice PDFs for the sandbox, drawn with fpdf2's core fonts (nothing is downloaded or embedded).

Core fonts print Latin-1 only, so every text goes through `latin1`: characters Latin-1 lacks are
transliterated ("€" → "EUR", "Ł" → "L", "–" → "-") and anything left becomes "?".
The document is deterministic: its creation date is the invoice's.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from purser.domain import Address, BillingDetails, Customer, Invoice, InvoiceStatus
from purser.money import Money
from purser.processors.sandbox.tax import DEFAULT_SELLER, Seller

__all__ = ["latin1", "render_invoice_pdf"]

_REPLACEMENTS = {
    "€": "EUR ",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "•": "*",
    "™": "(TM)",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ø": "O",
    "ø": "o",
    "Œ": "OE",
    "œ": "oe",
    "ı": "i",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
}


def latin1(text: str) -> str:
    """`text` reduced to what the PDF core fonts can print (Latin-1), transliterating the rest."""
    out: list[str] = []
    for char in text:
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
            continue
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFKD", char)
            kept = "".join(c for c in decomposed if not unicodedata.combining(c) and ord(c) < 256)
            out.append(kept or "?")
        else:
            out.append(char)
    return re.sub(" {2,}", " ", "".join(out)).strip()


def _money(amount: Money, locale: str) -> str:
    return latin1(amount.format(locale))


def _date(value: datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else ""


def _country_name(code: str | None) -> str | None:
    """ "DE" → "Germany" (babel's English names); unknown codes are kept."""
    if not code:
        return None
    from babel import Locale

    return str(Locale("en").territories.get(code.upper(), code))


def _address_lines(address: Address) -> list[str]:
    city = " ".join(p for p in (address.postal_code, address.city) if p)
    return [line for line in (address.line1, city, _country_name(address.country)) if line]


def _rate_label(invoice: Invoice) -> str:
    """ "VAT 23%" when the tax is an exact half-up percentage of the subtotal, else "Tax"."""
    if invoice.tax.is_zero and invoice.tax_note and "reverse charge" in invoice.tax_note.lower():
        return "VAT (reverse charge)"
    if invoice.tax.is_zero or invoice.subtotal.minor <= 0:
        return "Tax"
    bp = (invoice.tax.minor * 10_000 * 2 + invoice.subtotal.minor) // (2 * invoice.subtotal.minor)
    recomputed = (invoice.subtotal.minor * bp * 2 + 10_000) // 20_000
    if recomputed != invoice.tax.minor:
        return "Tax"
    percent = f"{bp // 100}" if bp % 100 == 0 else f"{bp / 100:.2f}".rstrip("0")
    return f"Tax ({percent}%)"


class _InvoicePDF(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=8)
        self.set_text_color(120)
        self.cell(0, 10, f"Page {self.page_no()}/{{nb}}", align="C")


def render_invoice_pdf(
    invoice: Invoice,
    seller: Seller = DEFAULT_SELLER,
    buyer: BillingDetails | None = None,
    *,
    customer: Customer | None = None,
    locale: str = "en_US",
) -> bytes:
    """A one-document PDF of `invoice`: seller and buyer (address, VAT ids), number, dates, lines, totals.

    The buyer is `buyer`, or else built from `customer` (name, email, address, VAT id).
    Amounts use `Money.format(locale)`; a reverse-charge invoice carries its note under the totals.
    """
    if buyer is None:
        if customer is None:
            raise ValueError("render_invoice_pdf needs the buyer's billing details (buyer= or customer=)")
        buyer = BillingDetails(customer.name, customer.email, customer.address, customer.vat_id)
    pdf = _InvoicePDF(format="A4")
    pdf.set_creation_date(invoice.created)
    pdf.set_title(latin1(f"Invoice {invoice.number}"))
    pdf.set_author(latin1(seller.name))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("helvetica", "B", 20)
    pdf.cell(width / 2, 10, "INVOICE")
    pdf.set_font("helvetica", "B", 11)
    status = "PAID" if invoice.status is InvoiceStatus.PAID else invoice.status.value.upper()
    pdf.cell(width / 2, 10, latin1(status), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    pdf.set_font("helvetica", size=10)
    meta = [
        ("Invoice number", invoice.number),
        ("Date of issue", _date(invoice.created)),
        ("Invoice id", invoice.id),
    ]
    periods = [line for line in invoice.lines if line.period_start and line.period_end]
    if periods:
        start = min(line.period_start for line in periods if line.period_start)
        end = max(line.period_end for line in periods if line.period_end)
        meta.append(("Service period", f"{_date(start)} - {_date(end)}"))
    for label, value in meta:
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(40, 6, label)
        pdf.set_font("helvetica", size=10)
        pdf.cell(0, 6, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    seller_lines = [
        seller.name,
        *_address_lines(Address(seller.line1, seller.city, seller.postal_code, seller.country)),
        *([f"VAT: {seller.vat_id}"] if seller.vat_id else []),
        seller.email,
    ]
    buyer_lines = [
        buyer.name,
        *_address_lines(buyer.address),
        *([f"VAT: {buyer.vat_id}"] if buyer.vat_id else []),
        buyer.email,
    ]
    top = pdf.get_y()
    bottom = top
    for x, title, lines in ((pdf.l_margin, "From", seller_lines), (pdf.l_margin + width / 2, "Bill to", buyer_lines)):
        pdf.set_xy(x, top)
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(width / 2, 6, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("helvetica", size=10)
        for line in lines:
            pdf.multi_cell(width / 2 - 4, 5, latin1(line), new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 6)

    # Lines
    cols = (width * 0.62, width * 0.12, width * 0.26)  # float-ok: column widths in mm
    pdf.set_font("helvetica", "B", 10)
    pdf.set_fill_color(235)
    pdf.cell(cols[0], 7, "Description", border="B", fill=True)
    pdf.cell(cols[1], 7, "Qty", border="B", align="R", fill=True)
    pdf.cell(cols[2], 7, "Amount", border="B", align="R", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", size=10)
    rows = [(line.description, str(line.quantity), line.amount) for line in invoice.lines]
    if not rows:
        rows = [(f"Invoice {invoice.number}", "1", invoice.subtotal)]
    for description, qty, amount in rows:
        pdf.cell(cols[0], 7, latin1(description)[:90])
        pdf.cell(cols[1], 7, qty, align="R")
        pdf.cell(cols[2], 7, _money(amount, locale), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    totals = [("Subtotal", invoice.subtotal), (_rate_label(invoice), invoice.tax), ("Total", invoice.total)]
    if invoice.amount_paid is not None:
        totals.append(("Amount paid", invoice.amount_paid))
        totals.append(("Amount due", invoice.total - invoice.amount_paid))
    for label, amount in totals:
        bold = label == "Total"
        pdf.set_font("helvetica", "B" if bold else "", 10 if not bold else 11)
        pdf.cell(cols[0] + cols[1], 7, label, align="R")
        pdf.cell(cols[2], 7, _money(amount, locale), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if invoice.tax_note:
        pdf.ln(4)
        pdf.set_font("helvetica", "I", 9)
        pdf.multi_cell(width, 5, latin1(invoice.tax_note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("helvetica", size=8)
    pdf.set_text_color(100)
    pdf.multi_cell(width, 4, latin1(f"Questions about this invoice? Write to {seller.email}."))
    return bytes(pdf.output())
