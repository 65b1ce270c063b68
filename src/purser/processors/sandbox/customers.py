"""Customer-facing writes that move no money: invoice emails and billing details."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update
from stdnum.eu import vat as eu_vat

from purser.domain import Address, Customer
from purser.processors.base import SentEmail
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox import queries
from purser.processors.sandbox.events import emit, record_email
from purser.store import sandbox_tables as t


def send_invoice(conn: Connection, invoice_id: str, now: datetime) -> SentEmail:
    """Record the invoice email (buyer's name, address and VAT id in the body, the PDF attached)."""
    inv = queries.invoice(conn, invoice_id)
    cust = queries.customer(conn, inv.customer_id)
    vat = f"\nVAT: {cust.vat_id}" if cust.vat_id else ""
    a = cust.address
    address = ", ".join(x for x in (a.line1, a.postal_code, a.city, a.country) if x)
    body = (
        f"Hello {cust.name},\n\nAttached is invoice {inv.number} of {inv.created:%d %b %Y} for "
        f"{inv.total} ({inv.status.value}).\n\nBilled to: {cust.name}, {address}{vat}\n"
    )
    if inv.tax_note:
        body += f"{inv.tax_note}\n"
    email = record_email(
        conn,
        customer_id=cust.id,
        to=cust.email,
        kind="invoice",
        subject=f"Invoice {inv.number}",
        body=body,
        at=now,
        invoice_id=invoice_id,
        attachment_name=f"invoice-{inv.number}.pdf",
    )
    emit(conn, "invoice.sent", inv, now, customer_id=cust.id)
    return SentEmail(invoice=inv, to=cust.email, email=email)


def update_billing(
    conn: Connection,
    customer_id: str,
    *,
    name: str | None,
    email: str | None,
    address: Address | None,
    vat_id: str | None,
    now: datetime,
) -> Customer:
    """Validate and apply new billing details (an empty `vat_id` removes it); emits `customer.updated`."""
    before = queries.customer(conn, customer_id, lock=True)
    values: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise InvalidRequest("name must not be blank", code="invalid_name")
        values["name"] = name.strip()
    if email is not None:
        if "@" not in email or email.strip() != email or "." not in email.rsplit("@", 1)[-1]:
            raise InvalidRequest(f"email {email!r} is not a valid address", code="invalid_email")
        values["email"] = email
    if address is not None:
        country = address.country.strip().upper() if address.country else None
        if country is not None and (len(country) != 2 or not country.isalpha()):
            raise InvalidRequest(f"country {address.country!r} is not a 2-letter code", code="invalid_country")
        values.update(line1=address.line1, city=address.city, postal_code=address.postal_code, country=country)
    if vat_id is not None:
        compact = eu_vat.compact(vat_id) if vat_id.strip() else ""
        if compact and not eu_vat.is_valid(compact):
            raise InvalidRequest(f"VAT id {vat_id!r} is not a valid EU VAT number", code="invalid_vat_id")
        values["vat_id"] = compact or None
    if not values:
        raise InvalidRequest("nothing to update", code="no_change")
    conn.execute(update(t.customers).where(t.customers.c.id == customer_id).values(**values))
    after = queries.customer(conn, customer_id)
    previous = {k: getattr(before, k, None) for k in values if k in ("name", "email", "vat_id")}
    if address is not None:
        a = before.address
        previous["address"] = {
            "line1": a.line1,
            "city": a.city,
            "postal_code": a.postal_code,
            "country": a.country,
        }
    emit(conn, "customer.updated", after, now, customer_id=customer_id, previous=previous)
    return after
