"""The dunning store's port: cases, the actions each has run, outreach links and event cursors.

Every method is one short transaction. The idempotency the cadence relies on lives here:
`open_case` keeps one case per invoice, `record_step` accepts an action once, `close` closes a case
once, and `save_link` keeps one payment link per outreach.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from purser.domain import PaymentBehavior, PaymentMethod
from purser.domain.ids import CustomerId, InvoiceId
from purser.dunning.cases import CaseStatus, DunningCase, DunningCaseId, RecoveredBy, StepRecord
from purser.ports.jobs import JsonScalar

__all__ = [
    "AdvanceOutcome",
    "AuditSink",
    "CustomerNotifier",
    "DunningRepository",
    "LinkIssuer",
    "MovableClock",
    "TestCards",
    "Uncollectible",
]


class LinkIssuer(Protocol):
    """Signed, single-use, expiring links (`purser.channels.links.SignedLinks`)."""

    def issue(self, purpose: str, payload: Mapping[str, JsonScalar], *, ttl: timedelta, path: str) -> str:
        """A new link to `PURSER_PUBLIC_URL/{path}/{token}` carrying `payload`."""
        ...

    def peek(self, purpose: str, token: str) -> dict[str, JsonScalar]:
        """The payload of a valid link, without using it."""
        ...

    def redeem(self, purpose: str, token: str) -> dict[str, JsonScalar]:
        """Use a link once and return its payload."""
        ...


class CustomerNotifier(Protocol):
    """Outreach on the customer's linked channel (Slack, WhatsApp, Discord, email thread)."""

    def notify(self, customer_id: str, text: str) -> bool:
        """Send `text` on the customer's linked channel; False when they have none (send email instead)."""
        ...


class AuditSink(Protocol):
    """The audit log (`purser.audit.log.AuditLog`)."""

    def append(self, kind: str, *, actor: str, data: dict[str, Any]) -> Any:
        """Append one record."""
        ...


@runtime_checkable
class TestCards(Protocol):
    """A processor where a customer can put a test card (the sandbox's `/pay` page)."""

    def attach_test_card(
        self, customer_id: CustomerId, behavior: PaymentBehavior, *, idempotency_key: str
    ) -> PaymentMethod:
        """A new default card with `behavior`."""
        ...


@runtime_checkable
class Uncollectible(Protocol):
    """A processor that can mark an invoice uncollectible."""

    def mark_uncollectible(self, invoice_id: InvoiceId, *, idempotency_key: str) -> None:
        """Give up on an open invoice."""
        ...


class DunningRepository(Protocol):
    """Storage for dunning cases."""

    def open_case(self, case: DunningCase) -> tuple[DunningCase, bool]:
        """Insert `case` unless its invoice has one; returns the stored case and whether it is new."""
        ...

    def get(self, case_id: DunningCaseId) -> DunningCase | None:
        """A case with its step records."""
        ...

    def open_cases(self, *, limit: int = 1000, after: DunningCaseId | None = None) -> list[DunningCase]:
        """Open cases by id (page with `after`)."""
        ...

    def open_case_of_customer(self, customer_id: str) -> DunningCase | None:
        """The customer's oldest open case, if any."""
        ...

    def cases(self) -> list[DunningCase]:
        """Every case (without step records), for the dashboard."""
        ...

    def record_step(self, case_id: DunningCaseId, record: StepRecord) -> bool:
        """Record that an action ran; False when it was recorded already (nothing changes)."""
        ...

    def set_decline_reason(self, case_id: DunningCaseId, reason: str) -> None:
        """The latest decline's failure code (it moves the next retries)."""
        ...

    def close(
        self,
        case_id: DunningCaseId,
        status: CaseStatus,
        *,
        at: datetime,
        reason: str,
        recovered_by: RecoveredBy | None = None,
    ) -> bool:
        """Close an open case; False when it was closed already (the first close wins)."""
        ...

    def save_link(self, case_id: DunningCaseId, step: int, url: str) -> str:
        """Keep the payment link of a step's outreach unless one is kept already; returns the kept one
        (so a re-run after a crash sends the same link, and the same message)."""
        ...

    def cursor(self, name: str) -> str | None:
        """Where an event reader stopped (the last event id it handled)."""
        ...

    def set_cursor(self, name: str, value: str) -> None:
        """Move an event reader's cursor."""
        ...


class AdvanceOutcome(Protocol):
    """What one move of the sandbox clock did (`purser.processors.sandbox.cycle.AdvanceReport`)."""

    renewals: int
    retries: int
    cancellations: int


class MovableClock(Protocol):
    """A processor whose clock can be moved, running renewals and failures on the way (the sandbox)."""

    def now(self) -> datetime:
        """The processor's clock."""
        ...

    def advance_clock(self, to: datetime) -> AdvanceOutcome:
        """Move the clock to `to`, running everything due on the way."""
        ...

    def next_billing_at(self) -> datetime | None:
        """When the next renewal or automatic retry is due (None: nothing is)."""
        ...
