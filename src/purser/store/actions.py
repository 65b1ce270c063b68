"""SQL repositories of the gateway's ports (`purser.ports.actions`), bound to one connection.

Every statement is built once, here at import, with bound parameters: a proposal runs a handful
of them, and building a SQLAlchemy statement costs more than executing it on SQLite.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from purser.money import Money
from purser.ports.actions import (
    Action,
    ActionChanges,
    ApprovalRequest,
    Confirmation,
    Conflict,
    LedgerEntry,
)
from purser.store.direct import Direct
from purser.store.gateway_tables import gw_actions, gw_approvals, gw_confirmations, gw_ledger

LIVE = ("reserved", "executed")
"""Ledger states that count against the envelope."""

_ACTION_COLUMNS = [f.name for f in fields(Action)]
_APPROVAL_COLUMNS = [f.name for f in fields(ApprovalRequest)]

_A = gw_actions.c
_ACTION_SELECT = select(*[_A[n] for n in _ACTION_COLUMNS])  # in the entity's field order
_GET_ACTION = _ACTION_SELECT.where(_A.id == bindparam("id"))
_OF_CONVERSATION = _ACTION_SELECT.where(_A.conversation_id == bindparam("cid")).order_by(_A.created_at)
# A turn's proposals and a confirmation's execution run these: on the DBAPI cursor (`direct.py`).
_DIRECT_GET_ACTION = Direct(_GET_ACTION)
_DIRECT_OF_CONVERSATION = Direct(_OF_CONVERSATION)
_IDENTICAL = (
    _A.conversation_id == bindparam("cid"),
    _A.action == bindparam("action"),
    _A.arguments == bindparam("args"),
)
_OPEN_IDENTICAL = _ACTION_SELECT.where(*_IDENTICAL, _A.status == "needs_confirmation").limit(1)
_COUNT_IDENTICAL = select(_A.id).where(*_IDENTICAL)
_STALE = _ACTION_SELECT.where(
    _A.status.in_(bindparam("statuses", expanding=True)), _A.updated_at <= bindparam("before")
)
_INSERT_ACTION = insert(gw_actions)
_UPDATE_ACTION = update(gw_actions).where(_A.id == bindparam("_id"))
_UPDATE_ACTION_IF = update(gw_actions).where(_A.id == bindparam("_id"), _A.status == bindparam("_expect"))
_UPDATE_ACTION_CAS = update(gw_actions).where(
    _A.id == bindparam("_id"), _A.status == bindparam("_expect"), _A.updated_at == bindparam("_expect_at")
)
_INSERT_CONFIRMATION = insert(gw_confirmations)
_DIRECT_INSERT_ACTION = Direct(_INSERT_ACTION, _ACTION_COLUMNS)
_DIRECT_INSERT_CONFIRMATION = Direct(_INSERT_CONFIRMATION, [f.name for f in fields(Confirmation)])
_UPDATES = {None: _UPDATE_ACTION, False: _UPDATE_ACTION_IF, True: _UPDATE_ACTION_CAS}


@functools.cache
def _direct_update(columns: tuple[str, ...], condition: bool | None) -> Direct:
    # One statement per set of changed columns and condition (a handful exist), compiled on first use.
    return Direct(_UPDATES[condition], columns)


_P = gw_approvals.c
_APPROVAL_SELECT = select(*[_P[n] for n in _APPROVAL_COLUMNS]).order_by(_P.created_at, _P.id)
_GET_APPROVAL = select(*[_P[n] for n in _APPROVAL_COLUMNS]).where(_P.id == bindparam("id"))
_INSERT_APPROVAL = insert(gw_approvals)
# A confirmation that needs a person runs these: on the DBAPI cursor (`direct.py`).
_DIRECT_GET_APPROVAL = Direct(_GET_APPROVAL)
_DIRECT_PENDING_OF = Direct(
    _APPROVAL_SELECT.where(
        _P.status == "pending", _P.customer_id == bindparam("customer_id"), _P.action == bindparam("action")
    )
)
_DIRECT_INSERT_APPROVAL = Direct(_INSERT_APPROVAL, _APPROVAL_COLUMNS)
_DECIDE_APPROVAL = (
    update(gw_approvals)
    .where(_P.id == bindparam("_id"), _P.status == "pending")
    .values(
        status=bindparam("status"),
        decided_by=bindparam("decided_by"),
        decided_at=bindparam("decided_at"),
        decision_reason=bindparam("decision_reason"),
    )
)
_DIRECT_DECIDE_APPROVAL = Direct(_DECIDE_APPROVAL)

_L = gw_ledger.c
_INSERT_LEDGER = insert(gw_ledger)
# Every refund's quote reads these two. The live states as plain comparisons: an IN list is an
# "expanding" parameter SQLAlchemy renders per execution, which `Direct` does not do.
_LIVE_STATE = or_(*(_L.state == state for state in LIVE))
_DIRECT_LIVE_FOR_CUSTOMER = Direct(select(gw_ledger).where(_L.customer_id == bindparam("customer_id"), _LIVE_STATE))
_DIRECT_LIVE_ON_DAY = Direct(select(_L.amount_minor, _L.currency).where(_L.day == bindparam("day"), _LIVE_STATE))
_SETTLE = update(gw_ledger).where(_L.action_id == bindparam("_id"), _L.state == "reserved")


@functools.cache
def _approval_query(by_status: bool, by_conversation: bool) -> Any:
    # One statement per filter combination, built on first use.
    query = _APPROVAL_SELECT
    if by_status:
        query = query.where(_P.status == bindparam("status"))
    if by_conversation:
        query = query.where(_P.conversation_id == bindparam("cid"))
    return query


def _action(row: Any) -> Action:
    return Action(*row)


def _approval(row: Any) -> ApprovalRequest:
    return ApprovalRequest(*row)


class SqlActionRepository:
    """`ActionRepository` on `gw_actions` and `gw_confirmations`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, action_id: str) -> Action | None:
        """One action."""
        row = _DIRECT_GET_ACTION.first(self.conn, {"id": action_id})
        return _action(row) if row is not None else None

    def of_conversation(self, conversation_id: str) -> list[Action]:
        """A conversation's actions, oldest first."""
        return [_action(r) for r in _DIRECT_OF_CONVERSATION.rows(self.conn, {"cid": conversation_id})]

    def open_identical(self, conversation_id: str, action: str, arguments: str) -> Action | None:
        """An identical action still waiting for the customer's answer."""
        params = {"cid": conversation_id, "action": action, "args": arguments}
        row = self.conn.execute(_OPEN_IDENTICAL, params).first()
        return _action(row) if row is not None else None

    def count_identical(self, conversation_id: str, action: str, arguments: str) -> int:
        """How many identical actions the conversation has."""
        params = {"cid": conversation_id, "action": action, "args": arguments}
        return len(self.conn.execute(_COUNT_IDENTICAL, params).all())

    def stale(self, statuses: Sequence[str], updated_before: str) -> list[Action]:
        """Actions in `statuses` not touched since `updated_before`."""
        rows = self.conn.execute(_STALE, {"statuses": list(statuses), "before": updated_before})
        return [_action(r) for r in rows]

    def add(self, actions: Sequence[Action]) -> None:
        """Insert new rows (one statement); `Conflict` on a duplicate id or key."""
        if not actions:
            return
        rows = [{n: getattr(a, n) for n in _ACTION_COLUMNS} for a in actions]
        try:
            _DIRECT_INSERT_ACTION.many(self.conn, rows)
        except IntegrityError as exc:
            raise Conflict(f"action {actions[0].id} (or one of {len(actions)}) exists already") from exc

    def update(
        self,
        action_id: str,
        changes: ActionChanges,
        *,
        expect_status: str | None = None,
        expect_updated_at: str | None = None,
    ) -> bool:
        """Apply `changes`, only while the status is `expect_status` (and `updated_at` is
        `expect_updated_at`) when given. One statement: PostgreSQL re-checks the condition on the
        row a concurrent writer committed, SQLite serializes writers, so it is a compare-and-set."""
        values = changes.values()
        params: dict[str, Any] = {"_id": action_id, **values}
        condition: bool | None = None
        if expect_status is None:
            if expect_updated_at is not None:
                raise ValueError("expect_updated_at needs expect_status")
        else:
            params["_expect"] = expect_status
            condition = expect_updated_at is not None
            if condition:
                params["_expect_at"] = expect_updated_at
        return _direct_update(tuple(values), condition).execute(self.conn, params) == 1

    def add_confirmation(self, confirmation: Confirmation) -> None:
        """Record the answer; `Conflict` when the action was answered already."""
        values = {f.name: getattr(confirmation, f.name) for f in fields(Confirmation)}
        try:
            _DIRECT_INSERT_CONFIRMATION.execute(self.conn, values)
        except IntegrityError as exc:
            raise Conflict(f"action {confirmation.action_id} was answered already") from exc


class SqlApprovalRepository:
    """`ApprovalRepository` on `gw_approvals`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, approval_id: str) -> ApprovalRequest | None:
        """One approval request."""
        row = _DIRECT_GET_APPROVAL.first(self.conn, {"id": approval_id})
        return _approval(row) if row is not None else None

    def pending_of(self, customer_id: str, action: str) -> list[ApprovalRequest]:
        """The customer's pending requests for `action`, oldest first."""
        return [
            _approval(r) for r in _DIRECT_PENDING_OF.rows(self.conn, {"customer_id": customer_id, "action": action})
        ]

    def list(self, *, status: str | None = None, conversation_id: str | None = None) -> list[ApprovalRequest]:
        """Approval requests, oldest first."""
        query = _approval_query(status is not None, conversation_id is not None)
        return [_approval(r) for r in self.conn.execute(query, {"status": status, "cid": conversation_id})]

    def add(self, request: ApprovalRequest) -> None:
        """Insert a request."""
        _DIRECT_INSERT_APPROVAL.execute(self.conn, {n: getattr(request, n) for n in _APPROVAL_COLUMNS})

    def decide(self, approval_id: str, *, approve: bool, decided_by: str, decided_at: str, reason: str) -> bool:
        """Decide a pending request; False when it is not pending."""
        params = {
            "_id": approval_id,
            "status": "approved" if approve else "denied",
            "decided_by": decided_by,
            "decided_at": decided_at,
            "decision_reason": reason,
        }
        return _DIRECT_DECIDE_APPROVAL.execute(self.conn, params) == 1


class SqlLedgerRepository:
    """`LedgerRepository` on `gw_ledger`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def live_for_customer(self, customer_id: str) -> list[LedgerEntry]:
        """The customer's reserved and executed entries."""
        return [
            LedgerEntry(
                action_id=m["action_id"],
                conversation_id=m["conversation_id"],
                customer_id=m["customer_id"],
                charge_id=m["charge_id"],
                amount=Money(int(m["amount_minor"]), m["currency"]),
                day=m["day"],
                created=str(m["created"]),
                state=m["state"],
                counts=bool(m["counts"]),
                approved=bool(m["approved"]),
                refund_id=m["refund_id"],
                idempotency_key=m["idempotency_key"],
                updated_at=m["updated_at"],
            )
            for m in _DIRECT_LIVE_FOR_CUSTOMER.mappings(self.conn, {"customer_id": customer_id})
        ]

    def live_on_day(self, day: str) -> list[Money]:
        """Amounts of every live entry of the day."""
        return [Money(int(minor), currency) for minor, currency in _DIRECT_LIVE_ON_DAY.rows(self.conn, {"day": day})]

    def reserve(self, entry: LedgerEntry) -> None:
        """Insert a `reserved` entry."""
        self.conn.execute(
            _INSERT_LEDGER,
            {
                "action_id": entry.action_id,
                "conversation_id": entry.conversation_id,
                "customer_id": entry.customer_id,
                "charge_id": entry.charge_id,
                "amount_minor": entry.amount.minor,
                "currency": entry.amount.currency,
                "day": entry.day,
                "created": entry.created,
                "state": entry.state,
                "counts": entry.counts,
                "approved": entry.approved,
                "refund_id": entry.refund_id,
                "idempotency_key": entry.idempotency_key,
                "updated_at": entry.updated_at,
            },
        )

    def settle(self, action_id: str, *, refund_id: str | None, updated_at: str) -> None:
        """`executed` with the refund id, or `released` when `refund_id` is None."""
        values: dict[str, Any] = {"_id": action_id, "updated_at": updated_at}
        values.update({"state": "executed", "refund_id": refund_id} if refund_id else {"state": "released"})
        self.conn.execute(_SETTLE, values)


__all__ = ["LIVE", "SqlActionRepository", "SqlApprovalRepository", "SqlLedgerRepository"]
