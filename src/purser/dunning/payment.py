"""The payment-method update behind `/pay/{token}`: read a link's page, and put a new card on file.

`page` only reads (a GET never changes anything). `submit` checks everything it can before the link
is used — the token, the case still open, the `test_card` value — then redeems the link (exactly
once), attaches the new default card and retries the open invoice at once: paid → the case is
recovered and the customer gets `dunning_recovered` in writing; declined → the case stays open and
its cadence goes on to the next step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from purser.domain import PaymentBehavior
from purser.domain.ids import CustomerId
from purser.dunning.cases import CaseStatus, DunningCase, DunningCaseId, RecoveredBy
from purser.dunning.reasons import rule_for
from purser.dunning.service import PAY_PURPOSE, Dunning
from purser.errors import PurserError
from purser.ports.dunning import TestCards
from purser.ports.jobs import JsonScalar
from purser.processors.errors import CardDeclined, Conflict

__all__ = [
    "TEST_CARDS",
    "InvalidTestCard",
    "PayPage",
    "PayResult",
    "PaymentLinkClosed",
    "PaymentUpdate",
    "retry_with_new_card",
]

TEST_CARDS: tuple[str, ...] = tuple(b.value for b in PaymentBehavior)
"""The `test_card` values the sandbox page offers: succeeds | declines | insufficient_funds | expired."""


class InvalidTestCard(PurserError, ValueError):
    """The form's `test_card` is not one of the sandbox behaviours; nothing changed, the link still works."""

    code = "invalid_test_card"
    status = 422


class PaymentLinkClosed(PurserError, RuntimeError):
    """The link's case is closed (paid, canceled or given up) or cards cannot be changed here; nothing changed."""

    code = "payment_link_closed"
    status = 409


@dataclass(frozen=True, slots=True)
class PayPage:
    """What the page shows."""

    case: DunningCase
    amount: str
    """Formatted amount due."""
    card: str
    """The card on file that was declined, e.g. "Visa ending 4242"."""
    reason: str
    """Why it failed, in plain words."""
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PayResult:
    """What the POST did."""

    paid: bool
    case: DunningCase
    card: str
    """The new card, e.g. "Visa ending 0002"."""
    decline_reason: str | None = None
    """The new card's failure code when it was declined."""


class PaymentUpdate:
    """The `/pay/{token}` flow over the dunning service."""

    def __init__(self, dunning: Dunning) -> None:
        self.dunning = dunning

    def _open_case(self, payload: Mapping[str, JsonScalar]) -> DunningCase:
        case = self.dunning.repo.get(DunningCaseId(str(payload.get("case", ""))))
        if case is None or case.status is not CaseStatus.OPEN:
            raise PaymentLinkClosed("this payment is settled already: there is nothing to pay on this link")
        return case

    def page(self, token: str) -> PayPage:
        """The page of a valid link (`LinkError` subclasses for a forged, used or expired one)."""
        case = self._open_case(self.dunning.links.peek(PAY_PURPOSE, token))
        return PayPage(
            case=case,
            amount=case.amount.format(),
            card=case.card,
            reason=rule_for(case.decline_reason).plain,
            choices=TEST_CARDS if isinstance(self.dunning.processor, TestCards) else (),
        )

    def submit(self, token: str, test_card: str) -> PayResult:
        """Attach a new default card with behaviour `test_card` and retry the open invoice at once."""
        processor = self.dunning.processor
        if not isinstance(processor, TestCards):
            raise PaymentLinkClosed("cards are updated on the processor's hosted page, not here")
        case = self._open_case(self.dunning.links.peek(PAY_PURPOSE, token))
        if test_card not in TEST_CARDS:
            raise InvalidTestCard(f"test_card must be one of {', '.join(TEST_CARDS)}; got {test_card[:40]!r}")
        self.dunning.links.redeem(PAY_PURPOSE, token)
        # Keys derive from the token: a retried request after a crash repeats nothing.
        ref = hashlib.sha256(token.encode()).hexdigest()[:16]
        pm = processor.attach_test_card(
            CustomerId(case.customer_id), PaymentBehavior(test_card), idempotency_key=f"dunning:{case.id}:card:{ref}"
        )
        return retry_with_new_card(self.dunning, case, card_ref=pm.id, card=f"{pm.brand.title()} ending {pm.last4}")

    def hosted(self, token: str) -> str:
        """Where the customer updates the card on the processor's own page (Stripe's Billing Portal): the
        session is made first, so a processor error leaves the link unused; then the link is used."""
        case = self._open_case(self.dunning.links.peek(PAY_PURPOSE, token))
        ref = hashlib.sha256(token.encode()).hexdigest()[:16]
        link = self.dunning.processor.payment_method_link(
            case.customer_id, idempotency_key=f"dunning:{case.id}:portal:{ref}"
        )
        self.dunning.links.redeem(PAY_PURPOSE, token)
        return link.url


def retry_with_new_card(dunning: Dunning, case: DunningCase, *, card_ref: str, card: str) -> PayResult:
    """A new card on file for an open case: retry the invoice at once. The key is per card, so the page's
    submission and the processor's `payment_method.attached` event for one card retry once."""
    now = dunning.processor.now()
    try:
        dunning.processor.retry_invoice(case.invoice_id, idempotency_key=f"dunning:{case.id}:new-card:{card_ref}")
    except CardDeclined as exc:
        dunning.repo.set_decline_reason(case.id, exc.code)
        dunning.record_audit("dunning.card_declined", case, card=card, reason=exc.code)
        return PayResult(paid=False, case=case, card=card, decline_reason=exc.code)
    except Conflict:
        dunning.reconcile(case)  # paid in the meantime: the case closes as recovered elsewhere
        raise PaymentLinkClosed("this payment is settled already: there is nothing to pay on this link") from None
    if dunning.close_case(case, CaseStatus.RECOVERED, now, "paid", RecoveredBy.CUSTOMER, report=None):
        dunning.confirm_recovery(case, card=card, paid_at=now)
    return PayResult(paid=True, case=case, card=card)
