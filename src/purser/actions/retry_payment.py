"""`retry_payment` (money): retry an open invoice on the card on file."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from purser.actions import resolve
from purser.actions.base import ActionSpec, Context, Executed, Prepared, Refusal, StrictArgs
from purser.domain import InvoiceId, InvoiceStatus
from purser.money import Money
from purser.processors import BillingProcessor


class RetryPaymentArgs(StrictArgs):
    """Which open invoice (null = the oldest)."""

    invoice_id: str | None = Field(max_length=200, description="Open invoice id or number; null = the oldest.")


def prepare(ctx: Context, args: RetryPaymentArgs) -> Prepared:
    """Resolve an open invoice and the card that will be charged."""
    snap = ctx.snapshot
    inv = resolve.invoice(snap, args.invoice_id) if args.invoice_id else resolve.oldest_open_invoice(snap)
    if inv.status is not InvoiceStatus.OPEN:
        raise Refusal("not_open", f"Invoice {inv.number} is {inv.status}, not open.")
    pm = snap.default_payment_method
    if pm is None:
        raise Refusal("no_payment_method", "There is no card on file; send a payment-method link first.")
    due = inv.total - (inv.amount_paid or Money.zero(inv.total.currency))
    quote = {
        "invoice": inv.id,
        "number": inv.number,
        "amount": due.amount_str(),
        "currency": due.currency,
        "card": f"{pm.brand} ending {pm.last4}",
    }
    summary = f"Charge {due.format()} for invoice {inv.number} to the {pm.brand} ending {pm.last4}."
    return Prepared(quote, {"invoice_id": inv.id}, summary)


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Retry the payment (`CardDeclined` propagates as a failed outcome)."""
    inv = processor.retry_invoice(InvoiceId(str(plan["invoice_id"])), idempotency_key=key)
    return Executed(
        {"invoice": inv.id, "number": inv.number, "status": str(inv.status), "total": inv.total.amount_str()},
        f"Invoice {inv.number} is now {inv.status}.",
    )


SPEC = ActionSpec(
    name="retry_payment",
    description="Retry payment of an open invoice (null = the oldest) on the card on file.",
    kind="money",
    input_model=RetryPaymentArgs,
    prepare=prepare,
    execute=execute,
)
