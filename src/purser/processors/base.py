"""The `BillingProcessor` protocol: every action of DESIGN §5 goes through it.

Implementations: `purser.processors.sandbox.SandboxProcessor` (the embedded
engine) and `purser.processors.stripe.StripeProcessor`. Every write takes an
`idempotency_key`: calling a write again with the same key returns the first
result and changes nothing. Errors are those of `purser.processors.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from purser.domain import (
    AccountSnapshot,
    Address,
    Charge,
    Customer,
    CustomerId,
    Email,
    Event,
    Invoice,
    InvoiceId,
    Plan,
    PlanId,
    ProrationQuote,
    Refund,
    Subscription,
    SubscriptionId,
)
from purser.domain.ids import ChargeId
from purser.money import Money

ChangeTiming = Literal["now_prorated", "period_end"]
"""When a plan or seat change takes effect."""


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """Outcome of a plan or seat change."""

    subscription: Subscription
    """The subscription after the change."""
    invoice: Invoice | None
    """The proration invoice, when the change was invoiced now."""
    charge: Charge | None
    """The charge that paid it, when one was made."""


@dataclass(frozen=True, slots=True)
class SentEmail:
    """An invoice or receipt that was sent."""

    invoice: Invoice
    """The invoice sent."""
    to: str
    """Recipient address."""
    email: Email | None = None
    """The outbox record (sandbox), if the processor keeps one."""


@dataclass(frozen=True, slots=True)
class PaymentLink:
    """A hosted page where the customer updates their card. Card numbers never pass through Purser."""

    url: str
    """The link."""
    expires_at: datetime | None = None
    """When it stops working."""


@runtime_checkable
class BillingProcessor(Protocol):
    """A payment processor Purser can act on."""

    name: str
    """"sandbox" or "stripe"."""

    # -- reads --------------------------------------------------------------------------
    def now(self) -> datetime:
        """The processor's clock (the sandbox's own clock; wall time for Stripe)."""
        ...

    def list_customers(self, limit: int = 100, *, after: CustomerId | None = None) -> list[Customer]:
        """One page of customers (for the demo picker and `purser customer list`), in the processor's
        stable order; `after`: the last customer of the previous page (page through all with it)."""
        ...

    def get_customer(self, customer_id: CustomerId) -> Customer:
        """The customer alone (what starting a conversation checks: far cheaper than a snapshot).
        Raises `NotFound`, as `snapshot` does for the same id."""
        ...

    def snapshot(self, customer_id: CustomerId) -> AccountSnapshot:
        """The customer's whole billing state. Raises `NotFound`."""
        ...

    def list_plans(self) -> list[Plan]:
        """The catalogue of plans a subscription may move to."""
        ...

    def invoice_pdf(self, invoice_id: InvoiceId) -> bytes:
        """The invoice as a PDF document."""
        ...

    def events(self, since: datetime | None = None) -> list[Event]:
        """Webhook-shaped events, oldest first."""
        ...

    # -- writes -------------------------------------------------------------------------
    def refund(
        self,
        charge_id: ChargeId,
        amount: Money,
        *,
        reason: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Refund:
        """Refund part or all of a charge. Never more than remains; refuses a disputed charge."""
        ...

    def preview_change(
        self,
        subscription_id: SubscriptionId,
        *,
        plan_id: PlanId,
        quantity: int,
        timing: ChangeTiming,
        proration_date: datetime,
    ) -> ProrationQuote:
        """The exact quote of a plan/seat change at `proration_date` (Stripe's formula, to the second)."""
        ...

    def change_subscription(
        self,
        subscription_id: SubscriptionId,
        *,
        plan_id: PlanId,
        quantity: int,
        timing: ChangeTiming,
        proration_date: datetime,
        idempotency_key: str,
    ) -> ChangeResult:
        """Apply a change now (prorated, invoiced and charged at once) or schedule it for the period end."""
        ...

    def retry_invoice(self, invoice_id: InvoiceId, *, idempotency_key: str) -> Invoice:
        """Attempt payment of an open invoice on the default card. Raises `CardDeclined`."""
        ...

    def send_invoice(self, invoice_id: InvoiceId, *, idempotency_key: str) -> SentEmail:
        """Email the invoice (PDF with seller, buyer, address and VAT id) to the email on file."""
        ...

    def update_billing_details(
        self,
        customer_id: CustomerId,
        *,
        name: str | None = None,
        email: str | None = None,
        address: Address | None = None,
        vat_id: str | None = None,
        idempotency_key: str,
    ) -> Customer:
        """Change what appears on invoices. `vat_id` is validated; `InvalidRequest` when it is not valid."""
        ...

    def payment_method_link(self, customer_id: CustomerId, *, idempotency_key: str) -> PaymentLink:
        """A hosted link where the customer updates their card."""
        ...

    def pause(self, subscription_id: SubscriptionId, *, resumes_at: datetime, idempotency_key: str) -> Subscription:
        """Pause collection from the current period's end until `resumes_at`."""
        ...

    def resume(self, subscription_id: SubscriptionId, *, idempotency_key: str) -> Subscription:
        """End a pause: back to active."""
        ...

    def notify(
        self,
        customer_id: CustomerId,
        *,
        kind: str,
        subject: str,
        body: str,
        invoice_id: InvoiceId | None = None,
        idempotency_key: str,
    ) -> Email:
        """Send the customer a written confirmation (cancellation, payment link...) to the email on file."""
        ...

    def cancel(
        self,
        subscription_id: SubscriptionId,
        *,
        effective: Literal["period_end", "now"],
        idempotency_key: str,
    ) -> Subscription:
        """Cancel at the period end (`cancel_at_period_end`) or now (status canceled)."""
        ...


__all__ = ["BillingProcessor", "ChangeResult", "ChangeTiming", "PaymentLink", "SentEmail"]
