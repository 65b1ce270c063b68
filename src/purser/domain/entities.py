"""The billing entities every processor maps its objects onto.

Times are timezone-aware UTC datetimes; amounts are `Money`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from purser.domain.ids import (
    ChargeId,
    CustomerId,
    DisputeId,
    EventId,
    InvoiceId,
    PaymentMethodId,
    PlanId,
    RefundId,
    SubscriptionId,
)
from purser.money import Money


class Interval(StrEnum):
    """Billing interval of a plan."""

    MONTH = "month"
    YEAR = "year"


class SubscriptionStatus(StrEnum):
    """Stripe's subscription statuses that Purser understands."""

    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    PAUSED = "paused"
    CANCELED = "canceled"


class InvoiceStatus(StrEnum):
    """Invoice lifecycle (Stripe's, without drafts)."""

    PAID = "paid"
    OPEN = "open"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class ChargeStatus(StrEnum):
    """Outcome of a charge attempt."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentBehavior(StrEnum):
    """How a sandbox payment method behaves when charged (Stripe's test cards)."""

    SUCCEEDS = "succeeds"
    DECLINES = "declines"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; `country` is ISO 3166-1 alpha-2, upper case."""

    line1: str | None = None
    """Street and number."""
    city: str | None = None
    """City."""
    postal_code: str | None = None
    """Postal code."""
    country: str | None = None
    """Two-letter country code."""


@dataclass(frozen=True, slots=True)
class BillingDetails:
    """What appears on the customer's invoices."""

    name: str
    """Legal or display name."""
    email: str
    """Where invoices and receipts go."""
    address: Address = field(default_factory=Address)
    """Billing address."""
    vat_id: str | None = None
    """EU VAT number, validated before it is stored."""


@dataclass(frozen=True, slots=True)
class Customer:
    """A billed customer."""

    id: CustomerId
    """Processor id."""
    name: str
    """Display name."""
    email: str
    """Email on file."""
    address: Address
    """Billing address."""
    vat_id: str | None
    """EU VAT number, if any."""
    created: datetime
    """When the customer was created."""
    balance: Money | None = None
    """Customer credit balance (negative = credit owed to the customer), if any."""


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """A card on file. Only brand, last4 and expiry: card numbers never reach Purser."""

    id: PaymentMethodId
    """Processor id."""
    customer_id: CustomerId
    """Owner."""
    brand: str
    """visa, mastercard, amex..."""
    last4: str
    """Last four digits."""
    exp_year: int
    """Expiry year."""
    exp_month: int
    """Expiry month (1-12)."""
    is_default: bool
    """Charged for renewals."""
    behavior: PaymentBehavior = PaymentBehavior.SUCCEEDS
    """Sandbox only: how charging it behaves."""

    def expired_at(self, now: datetime) -> bool:
        """True when the card expired before `now`'s month."""
        return (self.exp_year, self.exp_month) < (now.year, now.month)


@dataclass(frozen=True, slots=True)
class Plan:
    """A price: amount per interval, optionally per seat."""

    id: PlanId
    """Processor id (a Stripe price id)."""
    name: str
    """Product name shown to customers ("Pro")."""
    amount: Money
    """Price per interval (per seat when `per_seat`)."""
    interval: Interval
    """month or year."""
    per_seat: bool = False
    """Amount is per unit of quantity."""

    def price_for(self, quantity: int) -> Money:
        """Amount of one full interval at `quantity`."""
        return self.amount.times(quantity)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A customer's subscription to one plan."""

    id: SubscriptionId
    """Processor id."""
    customer_id: CustomerId
    """Owner."""
    plan_id: PlanId
    """Current plan."""
    quantity: int
    """Seats (1 for flat plans)."""
    status: SubscriptionStatus
    """Lifecycle status."""
    created: datetime
    """Creation time."""
    current_period_start: datetime
    """Start of the period being served."""
    current_period_end: datetime
    """End of that period (the next renewal)."""
    cancel_at_period_end: bool = False
    """Cancels instead of renewing."""
    canceled_at: datetime | None = None
    """When it was canceled, if it was."""
    ended_at: datetime | None = None
    """When service ended, if it has."""
    trial_end: datetime | None = None
    """End of the trial, while trialing."""
    pause_starts_at: datetime | None = None
    """Pause scheduled to start (the current period's end)."""
    resumes_at: datetime | None = None
    """When billing resumes after a pause."""
    scheduled_plan_id: PlanId | None = None
    """Plan that takes effect at the period end."""
    scheduled_quantity: int | None = None
    """Quantity that takes effect at the period end."""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One line of an invoice."""

    description: str
    """Human description ("Unused time on Pro after 16 Nov 2026")."""
    amount: Money
    """Line amount (negative for proration credits)."""
    quantity: int = 1
    """Units."""
    period_start: datetime | None = None
    """Service period start."""
    period_end: datetime | None = None
    """Service period end."""
    proration: bool = False
    """True for proration lines."""
    plan_id: PlanId | None = None
    """Plan the line bills."""


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice with its lines; `total = subtotal + tax`."""

    id: InvoiceId
    """Processor id."""
    customer_id: CustomerId
    """Billed customer."""
    number: str
    """Sequential number."""
    status: InvoiceStatus
    """paid / open / void / uncollectible."""
    created: datetime
    """Finalisation time."""
    subtotal: Money
    """Sum of lines."""
    tax: Money
    """Tax amount."""
    total: Money
    """Amount due in total."""
    lines: tuple[InvoiceLine, ...] = ()
    """Invoice lines."""
    subscription_id: SubscriptionId | None = None
    """Subscription it bills, if any."""
    attempts: int = 0
    """Failed payment attempts so far."""
    next_payment_attempt: datetime | None = None
    """Next automatic retry, for open invoices."""
    amount_paid: Money | None = None
    """Collected so far."""
    tax_note: str | None = None
    """E.g. "Reverse charge: VAT to be accounted for by the recipient"."""
    hosted_url: str | None = None
    """Hosted invoice page."""
    pdf_url: str | None = None
    """Where the PDF lives."""


@dataclass(frozen=True, slots=True)
class Charge:
    """A payment attempt on a card."""

    id: ChargeId
    """Processor id."""
    customer_id: CustomerId
    """Payer."""
    amount: Money
    """Amount charged."""
    created: datetime
    """When it was attempted."""
    status: ChargeStatus
    """succeeded / failed."""
    invoice_id: InvoiceId | None = None
    """Invoice it paid."""
    payment_method_id: PaymentMethodId | None = None
    """Card used."""
    amount_refunded: Money | None = None
    """Refunded so far."""
    disputed: bool = False
    """A dispute is open or was lost on it."""
    failure_code: str | None = None
    """card_declined, insufficient_funds, expired_card..."""

    @property
    def refundable(self) -> Money:
        """What may still be refunded."""
        if self.status is not ChargeStatus.SUCCEEDED:
            return Money.zero(self.amount.currency)
        refunded = self.amount_refunded or Money.zero(self.amount.currency)
        return self.amount - refunded


@dataclass(frozen=True, slots=True)
class Refund:
    """Money returned on a charge."""

    id: RefundId
    """Processor id."""
    charge_id: ChargeId
    """Refunded charge."""
    customer_id: CustomerId
    """Whose money."""
    amount: Money
    """Amount returned."""
    created: datetime
    """When."""
    reason: str | None = None
    """duplicate, requested_by_customer, fraudulent."""
    metadata: dict[str, str] = field(default_factory=dict)
    """Conversation id, audit record id."""


@dataclass(frozen=True, slots=True)
class Dispute:
    """A chargeback on a charge."""

    id: DisputeId
    """Processor id."""
    charge_id: ChargeId
    """Disputed charge."""
    amount: Money
    """Disputed amount."""
    status: str
    """needs_response, won, lost..."""
    reason: str
    """fraudulent, duplicate, product_not_received..."""
    created: datetime
    """When it was opened."""


@dataclass(frozen=True, slots=True)
class Event:
    """A webhook-shaped event: `type` like "invoice.payment_failed", `data` the object."""

    id: EventId
    """evt_... id."""
    type: str
    """Stripe event type."""
    created: datetime
    """When it happened (processor clock)."""
    data: dict[str, Any]
    """The object, JSON-shaped."""


@dataclass(frozen=True, slots=True)
class Email:
    """An email the processor sent (the sandbox records them in its outbox)."""

    id: str
    """Outbox id."""
    customer_id: CustomerId
    """Recipient customer."""
    to: str
    """Address."""
    kind: str
    """invoice, receipt, cancellation, payment_link..."""
    subject: str
    """Subject line."""
    body: str
    """Plain-text body."""
    sent_at: datetime
    """When it was sent (processor clock)."""
    invoice_id: InvoiceId | None = None
    """Invoice it carries, if any."""
    attachment_name: str | None = None
    """PDF file name, if any."""


__all__ = [
    "Address",
    "BillingDetails",
    "Charge",
    "ChargeStatus",
    "Customer",
    "Dispute",
    "Email",
    "Event",
    "Interval",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "PaymentBehavior",
    "PaymentMethod",
    "Plan",
    "Refund",
    "Subscription",
    "SubscriptionStatus",
]
