"""Who may approve what (DESIGN §11): the approver's role and limit, and two-person approval.

The gateway asks `ApprovalRules.review` before it decides a request, so every entry point (the admin
API, Slack's buttons, the gym) obeys the same rules:

- a person whose role is not approver/admin, or whose account is disabled, decides nothing (403);
- an approval moving more than the approver's limit is refused (403), nothing changed; limits are in the
  policy currency and are converted into the request's currency rounding down (never looser);
- above `policy.approvals.two_person_above` the first approval is kept as a signature and the request
  stays pending; a second, different approver completes it; the same person twice is refused (409).

Names without an account (the bootstrap administrator `admin`, a Slack user of the configured fallback
list, the gym's simulated approver) have no limit; the two-person rule applies to them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from purser.actions.outcome import Outcome
from purser.audit.log import AuditLog
from purser.errors import PurserError
from purser.money import Money
from purser.policy.fx import cap_in
from purser.policy.schema import Policy
from purser.ports.actions import ApprovalRequest
from purser.ports.approvals import ApprovalSignatures
from purser.ports.people import Person, grants, with_article
from purser.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

PersonLookup = Callable[[str], Person | None]
"""An approver's name → their account (None: a name without an account)."""

SECOND_APPROVAL = "second_approval_needed"
"""The outcome reason of a first signature: the request stays pending."""


class ApprovalRefused(PurserError):
    """The approver may not decide this request (role, disabled account); nothing was changed."""

    code = "approval_refused"
    status = 403


class ApproverOverLimit(ApprovalRefused):
    """The approval would move more than the approver's limit; nothing was changed."""

    code = "over_approval_limit"


@dataclass(frozen=True, slots=True)
class Review:
    """What the rules say about one decision: go on (with the signers so far), or stop at `pending`."""

    pending: Outcome | None = None
    """A first signature was recorded: the gateway returns this and decides nothing."""
    signers: tuple[str, ...] = ()
    """Every approver of a two-person approval, when this decision completes it."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ApprovalRules:
    """The approver checks and the two-person rule, over the signatures store and the people."""

    def __init__(
        self,
        policy: Policy,
        signatures: ApprovalSignatures,
        people: PersonLookup,
        *,
        audit: AuditLog,
        uow: UnitOfWorkFactory,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`people` finds an approver's account by name; first signatures are audited through `audit`."""
        self.policy = policy
        self.signatures = signatures
        self.people = people
        self.audit = audit
        self.uow = uow
        self.clock = clock

    def two_person_threshold(self, currency: str) -> Money | None:
        """Above this amount (in `currency`) two approvers are needed; None: never."""
        threshold = self.policy.approvals.two_person_above
        if threshold is None:
            return None
        return cap_in(Money.parse(threshold, self.policy.currency), currency)

    def review(self, request: ApprovalRequest | None, *, approve: bool, approver: str) -> Review:
        """Check `approver` against a pending `request`; record a first signature when two are needed.

        Raises `ApprovalRefused` / `ApproverOverLimit` (403) or `AlreadySigned` (409) with nothing changed.
        An unknown or decided request passes through: the gateway answers it as before."""
        if request is None or request.status != "pending":
            return Review()
        person = self.people(approver)
        if person is not None:
            if person.disabled:
                raise ApprovalRefused(f"{person.name}'s account is disabled; they decide no approvals")
            if not grants(person.role, "approve"):
                raise ApprovalRefused(
                    f"{person.name} is {with_article(person.role)}; only approvers and admins decide approvals"
                )
        if not approve or request.amount is None or request.currency is None:
            return Review()
        amount = Money.parse(request.amount, request.currency)
        if person is not None:
            self._check_limit(person, amount)
        threshold = self.two_person_threshold(amount.currency)
        if threshold is None or amount <= threshold:
            return Review()
        with self.uow.write() as uow:
            # The signature and its audit record commit together (or neither does).
            signers = self.signatures.sign(request.id, approver, self.clock(), uow=uow)
            if len(signers) >= 2:
                return Review(signers=signers)
            return Review(pending=self._first_signature(uow, request, approver, amount, threshold))

    @staticmethod
    def _check_limit(person: Person, amount: Money) -> None:
        limit = person.approval_limit
        if limit is None:
            if person.role == "admin":
                return
            raise ApproverOverLimit(f"{person.name} has no approval limit set, so they may not approve {amount}")
        if amount > cap_in(limit, amount.currency):
            raise ApproverOverLimit(
                f"{amount} is above {person.name}'s approval limit of {limit}; someone with a higher limit must "
                "approve it"
            )

    def _first_signature(
        self, uow: UnitOfWork, request: ApprovalRequest, approver: str, amount: Money, threshold: Money
    ) -> Outcome:
        summary = f"Approved by {approver}; a second approver is needed (two-person approval above {threshold})."
        self.audit.append(
            "approval_signature",
            actor=f"human:{approver}",
            conversation_id=request.conversation_id,
            action_id=request.action_id,
            data={"approval_id": request.id, "amount": amount.amount_str(), "currency": amount.currency},
            uow=uow,
        )
        return Outcome(
            request.action_id,
            request.action,
            "pending_approval",
            summary,
            reason=SECOND_APPROVAL,
            approval_id=request.id,
        )


__all__ = ["SECOND_APPROVAL", "ApprovalRefused", "ApprovalRules", "ApproverOverLimit", "PersonLookup", "Review"]
