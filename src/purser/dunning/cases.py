"""Dunning cases: one per unpaid invoice, from the first failed payment until it is closed.

A case is opened by the first `invoice.payment_failed` of an invoice and closed once: `recovered`
(the invoice was paid — by a dunning retry, by the customer on the payment page, or elsewhere),
`canceled` (the subscription ended) or `lost` (the cadence ran out: handoff, cancel or
uncollectible). Entities are frozen; the store writes every change as a new row version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

from purser.domain.ids import CustomerId, InvoiceId, SubscriptionId
from purser.money import Money

__all__ = [
    "CaseStatus",
    "DunningCase",
    "DunningCaseId",
    "RecoveredBy",
    "StepAction",
    "StepRecord",
    "case_id_for",
]

DunningCaseId = NewType("DunningCaseId", str)
"""dc_<invoice id>: derived from the invoice, so a replayed or reordered event finds the same case."""


def case_id_for(invoice_id: str) -> DunningCaseId:
    """The one case id an invoice can ever have (one case per invoice, however often it fails)."""
    return DunningCaseId(f"dc_{invoice_id}")


class CaseStatus(StrEnum):
    """Where a case stands."""

    OPEN = "open"
    RECOVERED = "recovered"
    LOST = "lost"
    CANCELED = "canceled"


class RecoveredBy(StrEnum):
    """Who paid a recovered invoice."""

    RETRY = "retry"
    """A dunning retry on the card on file."""
    CUSTOMER = "customer"
    """The customer put a new card on the payment page."""
    ELSEWHERE = "elsewhere"
    """Paid outside dunning (the processor's own retry, a payment in the dashboard, ...)."""


class StepAction(StrEnum):
    """What a cadence step does; each (case, step, action) happens at most once."""

    RETRY = "retry"
    NOTIFY = "notify"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One action of one step that has run, and what came of it."""

    step: int
    """Index of the step in `policy.dunning.steps` (the final action uses the number of steps)."""
    action: StepAction
    done_at: datetime
    """Processor clock when it ran."""
    outcome: str
    """e.g. `paid`, `declined:insufficient_funds`, `skipped:expired_card`, `email`, `slack`, `handoff`."""


@dataclass(frozen=True, slots=True)
class DunningCase:
    """A failed invoice being recovered."""

    id: DunningCaseId
    invoice_id: InvoiceId
    customer_id: CustomerId
    subscription_id: SubscriptionId | None
    amount: Money
    """What the invoice still needed when the case opened."""
    card_brand: str | None
    """Brand of the card that was declined (None when there was no card)."""
    card_last4: str | None
    decline_reason: str
    """The processor's failure code of the latest decline (`insufficient_funds`, `expired_card`, ...)."""
    opened_at: datetime
    """Processor clock of the first failure: the cadence counts days from here."""
    status: CaseStatus = CaseStatus.OPEN
    closed_at: datetime | None = None
    recovered_by: RecoveredBy | None = None
    close_reason: str | None = None
    """Why it closed: `paid`, `subscription_canceled`, `final:handoff`, `final:cancel`, ..."""
    steps: tuple[StepRecord, ...] = field(default=())
    """The actions run so far, oldest first."""

    @property
    def currency(self) -> str:
        """The invoice's currency."""
        return self.amount.currency

    @property
    def is_open(self) -> bool:
        """True until the case is closed."""
        return self.status is CaseStatus.OPEN

    def done(self, step: int, action: StepAction) -> StepRecord | None:
        """The record of `action` at `step`, if it ran."""
        return next((r for r in self.steps if r.step == step and r.action is action), None)

    @property
    def card(self) -> str:
        """ "Visa ending 4242" (or "your card" when the card is unknown)."""
        if self.card_last4:
            brand = (self.card_brand or "card").replace("_", " ")
            return f"{brand.title() if brand.islower() else brand} ending {self.card_last4}"
        return "your card"
