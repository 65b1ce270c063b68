"""The gateway's ports: proposed actions, confirmations, approval requests and the refund ledger.

Entities are frozen dataclasses; JSON payloads (`arguments`, `quote`, `plan`, `result`) stay
canonical JSON text, exactly as hashed and stored, and are parsed by the gateway where it needs
them. Repositories are bound to one unit of work (one transaction); see `ports.unit_of_work`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Literal, NewType, Protocol

from purser.errors import PurserError
from purser.money import Money

ActionId = NewType("ActionId", str)
"""act_<hash>: one proposed action."""

ApprovalId = NewType("ApprovalId", str)
"""apr_<hash>: one approval request."""


class Conflict(PurserError):
    """A row that must be unique already exists (an action id, a second answer to one action)."""

    code = "conflict"
    status = 409


class Keep(Enum):
    """Marker: leave this column as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP
"""Leave the column unchanged (in `ActionChanges`)."""


@dataclass(frozen=True, slots=True)
class Action:
    """One proposed action as stored (`gw_actions`)."""

    id: ActionId
    conversation_id: str
    customer_id: str
    channel: str
    actor: str
    """Model name that proposed it."""
    action: str
    """Catalog name."""
    arguments: str
    """Canonical JSON."""
    kind: str
    """read | write | money | control."""
    status: str
    """proposed, needs_confirmation, confirmed, executing, pending_approval, or a final status."""
    reason: str | None
    quote: str | None
    """JSON: what the customer confirms."""
    quote_hash: str | None
    plan: str | None
    """JSON: executor parameters fixed at quote time."""
    result: str | None
    """JSON."""
    summary: str
    idempotency_key: str
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class ActionChanges:
    """Columns to set on an action row; `KEEP` leaves one unchanged."""

    status: str
    updated_at: str
    reason: str | Keep | None = KEEP
    summary: str | Keep = KEEP
    quote: str | Keep | None = KEEP
    quote_hash: str | Keep | None = KEEP
    plan: str | Keep | None = KEEP
    result: str | Keep | None = KEEP

    def values(self) -> dict[str, str | None]:
        """The columns that change, by name."""
        out: dict[str, str | None] = {"status": self.status, "updated_at": self.updated_at}
        for name in ("reason", "summary", "quote", "quote_hash", "plan", "result"):
            value = getattr(self, name)
            if value is not KEEP:
                out[name] = value
        return out

    def applied_to(self, action: Action) -> Action:
        """`action` with these changes (for buffered rows)."""
        return replace(action, **self.values())  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The customer's one structured answer to an action."""

    action_id: ActionId
    conversation_id: str
    customer_id: str
    decision: Literal["yes", "no"]
    quote_hash: str | None
    created_at: str


@dataclass(frozen=True)
class ApprovalRequest:
    """A persisted request for a human decision (`gw_approvals`)."""

    id: str
    """apr_<hash>."""
    action_id: str
    """The action waiting for it."""
    conversation_id: str
    """Where the outcome is delivered."""
    customer_id: str
    """Whose account."""
    action: str
    """Catalog name."""
    amount: str | None
    """Money at stake (decimal string), if any."""
    currency: str | None
    """Its currency."""
    requested_by: str
    """The model that proposed it."""
    reason: str
    """Why it is outside the envelope (window, per_refund_max, count, daily_budget, max_seat_change)."""
    summary: str
    """What would be done."""
    status: Literal["pending", "approved", "denied"]
    """Decision state."""
    created_at: str
    """When it was raised (wall clock)."""
    decided_by: str | None = None
    """Who decided."""
    decided_at: str | None = None
    """When."""
    decision_reason: str | None = None
    """Why."""

    def to_json(self) -> dict[str, Any]:
        """JSON for the admin API."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A refund reservation (`gw_ledger`): reserved → executed (with the refund id) or released."""

    action_id: str
    conversation_id: str
    customer_id: str
    charge_id: str
    amount: Money
    day: str
    """UTC day of the processor clock (YYYY-MM-DD)."""
    created: str
    """Processor clock, ISO."""
    state: str
    """reserved | executed | released."""
    counts: bool
    """False for exempt duplicates."""
    approved: bool
    refund_id: str | None
    idempotency_key: str
    updated_at: str


class ActionRepository(Protocol):
    """`gw_actions` and `gw_confirmations`."""

    def get(self, action_id: str) -> Action | None:
        """One action."""
        ...

    def of_conversation(self, conversation_id: str) -> list[Action]:
        """A conversation's actions, oldest first."""
        ...

    def open_identical(self, conversation_id: str, action: str, arguments: str) -> Action | None:
        """An identical action of the conversation still waiting for the customer's answer."""
        ...

    def count_identical(self, conversation_id: str, action: str, arguments: str) -> int:
        """How many identical actions the conversation has (for the next id)."""
        ...

    def stale(self, statuses: Sequence[str], updated_before: str) -> list[Action]:
        """Actions in `statuses` not touched since `updated_before` (crash recovery)."""
        ...

    def add(self, actions: Sequence[Action]) -> None:
        """Insert new rows; `Conflict` when an id or idempotency key exists (the transaction is void)."""
        ...

    def update(
        self,
        action_id: str,
        changes: ActionChanges,
        *,
        expect_status: str | None = None,
        expect_updated_at: str | None = None,
    ) -> bool:
        """Apply `changes` (only while the status is `expect_status` and `updated_at` is
        `expect_updated_at`, each when given: one atomic compare-and-set); True if a row changed."""
        ...

    def add_confirmation(self, confirmation: Confirmation) -> None:
        """Record the answer; `Conflict` when the action was answered already."""
        ...


class ApprovalRepository(Protocol):
    """`gw_approvals`."""

    def get(self, approval_id: str) -> ApprovalRequest | None:
        """One approval request."""
        ...

    def pending_of(self, customer_id: str, action: str) -> list[ApprovalRequest]:
        """The customer's pending requests for `action`, oldest first."""
        ...

    def list(self, *, status: str | None = None, conversation_id: str | None = None) -> list[ApprovalRequest]:
        """Approval requests, oldest first."""
        ...

    def add(self, request: ApprovalRequest) -> None:
        """Insert a pending request."""
        ...

    def decide(self, approval_id: str, *, approve: bool, decided_by: str, decided_at: str, reason: str) -> bool:
        """Decide a pending request; False when it is not pending (any more)."""
        ...


class LedgerRepository(Protocol):
    """`gw_ledger`: what the refund guard reads and reserves inside the locked transaction."""

    def live_for_customer(self, customer_id: str) -> list[LedgerEntry]:
        """The customer's reserved and executed entries."""
        ...

    def live_on_day(self, day: str) -> list[Money]:
        """Amounts of every reserved or executed entry of the UTC day (all customers)."""
        ...

    def reserve(self, entry: LedgerEntry) -> None:
        """Insert a `reserved` entry."""
        ...

    def settle(self, action_id: str, *, refund_id: str | None, updated_at: str) -> None:
        """`executed` with the refund id, or `released` when `refund_id` is None (reserved ones only)."""
        ...


__all__ = [
    "KEEP",
    "Action",
    "ActionChanges",
    "ActionId",
    "ActionRepository",
    "ApprovalId",
    "ApprovalRepository",
    "ApprovalRequest",
    "Confirmation",
    "Conflict",
    "Keep",
    "LedgerEntry",
    "LedgerRepository",
]
