"""`payment_method_link` (write, no money): a hosted link to update the card. No card numbers in chat."""

from __future__ import annotations

from typing import Any

from purser.actions.base import ActionSpec, Context, Executed, Prepared, StrictArgs, iso
from purser.domain import CustomerId
from purser.processors import BillingProcessor


class PaymentMethodLinkArgs(StrictArgs):
    """No arguments."""


def prepare(ctx: Context, args: PaymentMethodLinkArgs) -> Prepared:
    """Quote where the link goes."""
    cust = ctx.snapshot.customer
    return Prepared(
        {"to": cust.email},
        {"customer_id": cust.id, "email": cust.email},
        f"Send a secure link to update your card to {cust.email}.",
    )


def execute(processor: BillingProcessor, plan: dict[str, Any], key: str) -> Executed:
    """Create the link and email it."""
    customer_id = CustomerId(str(plan["customer_id"]))
    link = processor.payment_method_link(customer_id, idempotency_key=key)
    processor.notify(
        customer_id,
        kind="payment_link",
        subject="Update your payment method",
        body=f"Use this secure link to update your card: {link.url}",
        idempotency_key=key + ":email",
    )
    return Executed(
        {"url": link.url, "expires_at": iso(link.expires_at)},
        f"Here is a secure link to update your card (also emailed to {plan['email']}): {link.url}",
    )


SPEC = ActionSpec(
    name="payment_method_link",
    description="Create a secure hosted link where the customer updates their card (never take card numbers).",
    kind="write",
    input_model=PaymentMethodLinkArgs,
    prepare=prepare,
    execute=execute,
)
