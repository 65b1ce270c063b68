"""`send_invoice` (write, no money): email an invoice or receipt PDF to the email on file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, StrictArgs, iso
from purser.domain import InvoiceId
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
    return Prepared(quote, {"invoice_id": inv.id, "kind": args.kind}, summary)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Send it."""
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
