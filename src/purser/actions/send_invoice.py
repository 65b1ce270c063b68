"""`send_invoice` (write, no money): email an invoice or receipt PDF to the email on file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, StrictArgs, day, iso
from purser.domain import CustomerId, InvoiceId
from purser.processors import BillingProcessor


class SendInvoiceArgs(StrictArgs):
    """Which invoice, and as an invoice or a receipt."""

    invoice: str = Field(min_length=1, max_length=200, description="Invoice id (in_...) or its number.")
    kind: Literal["invoice", "receipt"] = Field(description="invoice, or receipt for a paid invoice.")


def prepare(ctx: Context, args: SendInvoiceArgs) -> Prepared:
    """Resolve the invoice; quote the recipient and the billing details printed on it."""
    inv = resolve.invoice(ctx.snapshot, args.invoice)
    cust = ctx.snapshot.customer
    quote = {
        "invoice": inv.id,
        "number": inv.number,
        "kind": args.kind,
        "total": inv.total.amount_str(),
        "currency": inv.total.currency,
        "created": iso(inv.created),
        "to": cust.email,
        "vat_id": cust.vat_id,
        "country": cust.address.country,
    }
    summary = f"Email {args.kind} {inv.number} ({inv.total.format()}) to {cust.email}"
    summary += f" with VAT id {cust.vat_id}." if cust.vat_id else "."
    address = ", ".join(
        x for x in (cust.address.line1, cust.address.postal_code, cust.address.city, cust.address.country) if x
    )
    body = (
        f"Receipt for invoice {inv.number}: {inv.total.format()} ({inv.status}), issued {day(inv.created)}.\n"
        f"Billed to {cust.name}"
        + (f", {address}" if address else "")
        + (f", VAT {cust.vat_id}" if cust.vat_id else "")
        + "."
    )
    plan = {"invoice_id": inv.id, "kind": args.kind, "customer_id": cust.id, "number": inv.number, "body": body}
    return Prepared(quote, plan, summary)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Send it: the invoice PDF, or a receipt (Purser's own email, carrying the invoice)."""
    if plan["kind"] == "receipt":
        email = processor.notify(
            CustomerId(str(plan["customer_id"])),
            kind="receipt",
            subject=f"Receipt for invoice {plan['number']}",
            body=str(plan["body"]),
            invoice_id=InvoiceId(str(plan["invoice_id"])),
            idempotency_key=key,
        )
        return Executed(
            {"invoice": plan["invoice_id"], "number": plan["number"], "to": email.to},
            f"Sent the receipt for {plan['number']} to {email.to}.",
        )
    sent = processor.send_invoice(InvoiceId(str(plan["invoice_id"])), idempotency_key=key)
    return Executed(
        {"invoice": sent.invoice.id, "number": sent.invoice.number, "to": sent.to},
        f"Sent {plan['kind']} {sent.invoice.number} to {sent.to}.",
    )


SPEC = ActionSpec(
    name="send_invoice",
    description="Email an invoice or receipt PDF (with billing address and VAT id) to the customer's email on file.",
    kind="write",
    input_model=SendInvoiceArgs,
    prepare=prepare,
    execute=execute,
)
