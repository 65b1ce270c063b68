"""Read models built from the entities: the account snapshot and the proration quote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from purser.domain.entities import (
    Charge,
    Customer,
    Dispute,
    Email,
    Invoice,
    PaymentMethod,
    Plan,
    Refund,
    Subscription,
)
from purser.money import Money


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """Everything the agent may know about the verified customer, in one read."""

    customer: Customer
    """The customer."""
    now: datetime
    """The processor's clock when the snapshot was taken."""
    payment_methods: tuple[PaymentMethod, ...] = ()
    """Cards on file (default first)."""
    subscription: Subscription | None = None
    """The customer's subscription, if any."""
    plan: Plan | None = None
    """The subscription's plan."""
    scheduled_plan: Plan | None = None
    """Plan scheduled for the period end, if any."""
    plans: tuple[Plan, ...] = ()
    """The catalogue the customer may change to."""
    invoices: tuple[Invoice, ...] = ()
    """Invoices, newest first."""
    charges: tuple[Charge, ...] = ()
    """Charges, newest first."""
    refunds: tuple[Refund, ...] = ()
    """Refunds, newest first."""
    disputes: tuple[Dispute, ...] = ()
    """Disputes, newest first."""
    emails: tuple[Email, ...] = ()
    """Emails sent (the sandbox's outbox; empty on processors without one)."""
    next_invoice_date: datetime | None = None
    """When the next invoice is due."""
    next_invoice_amount: Money | None = None
    """What it will be."""
    past_due: Money | None = None
    """Sum of open invoices."""

    @property
    def default_payment_method(self) -> PaymentMethod | None:
        """The card used for renewals."""
        return next((pm for pm in self.payment_methods if pm.is_default), None)

    def charge(self, charge_id: str) -> Charge | None:
        """A charge of this customer by id (None when it is not theirs)."""
        return next((c for c in self.charges if c.id == charge_id), None)

    def invoice(self, invoice_id: str) -> Invoice | None:
        """An invoice of this customer by id (None when it is not theirs)."""
        return next((i for i in self.invoices if i.id == invoice_id), None)


@dataclass(frozen=True, slots=True)
class ProrationLine:
    """One line of a proration quote."""

    description: str
    """"Unused time on Pro" / "Remaining time on Business"."""
    amount: Money
    """Negative for the unused-time credit."""
    period_start: datetime
    """Proration date."""
    period_end: datetime
    """Period end."""


@dataclass(frozen=True, slots=True)
class ProrationQuote:
    """The exact effect of a plan or seat change, computed by the billing engine."""

    subscription_id: str
    """The subscription changed."""
    from_plan: Plan
    """Current plan."""
    to_plan: Plan
    """Target plan."""
    from_quantity: int
    """Current quantity."""
    to_quantity: int
    """Target quantity."""
    timing: str
    """"now_prorated" or "period_end"."""
    effective_at: datetime
    """When the change takes effect."""
    proration_date: datetime
    """The instant proration is computed for (to the second)."""
    lines: tuple[ProrationLine, ...] = ()
    """Proration lines (empty at period end)."""
    amount_due_now: Money | None = None
    """Charged immediately (zero when the total is a credit)."""
    credit: Money | None = None
    """Credit added to the balance when the total is negative."""
    next_invoice_amount: Money | None = None
    """The recurring amount after the change."""
    extra: dict[str, str] = field(default_factory=dict)
    """Processor-specific notes."""

    @property
    def total(self) -> Money:
        """Sum of the proration lines."""
        currency = self.to_plan.amount.currency
        total = Money.zero(currency)
        for line in self.lines:
            total = total + line.amount
        return total


__all__ = [
    "AccountSnapshot",
    "ProrationLine",
    "ProrationQuote",
]
