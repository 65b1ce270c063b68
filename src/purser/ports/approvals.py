"""The approval signatures' port (DESIGN §11 two-person approval).

Above `policy.approvals.two_person_above` an approval request needs two different approvers: the first
approval is kept here as a signature (the request stays pending), the second completes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from purser.errors import PurserError
from purser.ports.unit_of_work import UnitOfWork


class AlreadySigned(PurserError, ValueError):
    """The same approver approved this request before; a second approval must come from someone else."""

    code = "same_approver"
    status = 409


class ApprovalSignatures(Protocol):
    """Who has approved which pending request so far."""

    def sign(self, approval_id: str, signer: str, at: datetime, *, uow: UnitOfWork) -> tuple[str, ...]:
        """Record `signer`'s approval inside `uow`'s transaction (so its audit record commits with it) and
        return every signer of the request, oldest first.

        Signatures of one request are serialized (a named lock), so of two approvers signing at once exactly
        one sees both signatures. `AlreadySigned` when `signer` signed before and the request still waits
        for a second signer (nothing recorded); once two have signed, a repeat returns the signers, so a
        completion interrupted before its decision can be pressed again."""
        ...

    def signers(self, approval_id: str) -> tuple[str, ...]:
        """The request's signers, oldest first."""
        ...


__all__ = ["AlreadySigned", "ApprovalSignatures"]
