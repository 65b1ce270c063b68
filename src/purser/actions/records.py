"""Persistence of the gateway: action rows, outcomes with their audit records, approval requests.

`ActionRecords` is the base of `Gateway`; it owns every read and write of `gw_actions` and
`gw_approvals` (the ledger lives in `ledger.py`, the audit chain in `purser.audit`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.actions.base import Prepared
from purser.actions.outcome import ApprovalRequest, Outcome, OutcomeStatus, Scope, quote_hash, short_hash
from purser.audit.log import AuditLog, canonical_json, utc_now_iso
from purser.domain import CustomerId
from purser.policy.escalation import REPEATED_FAILURE_THRESHOLD
from purser.policy.schema import Policy
from purser.store.db import Database
from purser.store.gateway_tables import gw_actions, gw_approvals

SYSTEM = "system:gateway"
"""The actor of the gateway's own audit records."""


def model_actor(actor: str) -> str:
    return actor if ":" in actor else f"model:{actor}"


class ActionRecords:
    """Rows of proposed actions and approval requests, each change audited in the same transaction."""

    db: Database
    audit: AuditLog
    policy: Policy

    def escalate(self, scope: Scope, reason: str, summary: str, *, action_id: str | None = None) -> Outcome:
        """Hand the conversation to a human (implemented by `Gateway`)."""
        raise NotImplementedError

    def approvals(self, *, status: str | None = None, conversation_id: str | None = None) -> list[ApprovalRequest]:
        """Approval requests, oldest first."""
        query = select(gw_approvals).order_by(gw_approvals.c.created_at, gw_approvals.c.id)
        if status is not None:
            query = query.where(gw_approvals.c.status == status)
        if conversation_id is not None:
            query = query.where(gw_approvals.c.conversation_id == conversation_id)
        with self.db.read() as conn:
            return [ApprovalRequest(**dict(r._mapping)) for r in conn.execute(query).all()]

    def approval(self, approval_id: str) -> ApprovalRequest | None:
        """One approval request."""
        with self.db.read() as conn:
            r = conn.execute(select(gw_approvals).where(gw_approvals.c.id == approval_id)).first()
        return ApprovalRequest(**dict(r._mapping)) if r is not None else None

    def actions(self, conversation_id: str) -> list[dict[str, Any]]:
        """The actions of a conversation, oldest first (for summaries and the dashboard)."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(gw_actions)
                .where(gw_actions.c.conversation_id == conversation_id)
                .order_by(gw_actions.c.created_at)
            ).all()
        return [
            {
                "id": r.id,
                "action": r.action,
                "status": r.status,
                "reason": r.reason,
                "summary": r.summary,
                "quote": load_json(r.quote),
                "arguments": json.loads(r.arguments),
            }
            for r in rows
        ]

    def _request_approval(self, conn: Connection, row: Row[Any], prepared: Prepared, reason: str) -> Outcome:
        approval_id = "apr_" + short_hash("approval", row.id)
        money = prepared.money
        conn.execute(
            insert(gw_approvals).values(
                id=approval_id,
                action_id=row.id,
                conversation_id=row.conversation_id,
                customer_id=row.customer_id,
                action=row.action,
                amount=money.amount_str() if money else None,
                currency=money.currency if money else None,
                requested_by=model_actor(row.actor),
                reason=reason,
                summary=prepared.summary,
                status="pending",
                created_at=utc_now_iso(),
            )
        )
        summary = "A teammate is reviewing this request; you'll get the answer here."
        conn.execute(
            update(gw_actions)
            .where(gw_actions.c.id == row.id)
            .values(status="pending_approval", reason=reason, summary=summary, updated_at=utc_now_iso())
        )
        self.audit.append(
            "approval_requested",
            actor=SYSTEM,
            conversation_id=row.conversation_id,
            action_id=row.id,
            data={
                "action": row.action,
                "approval_id": approval_id,
                "reason": reason,
                "quote": prepared.quote,
                **money_fields(prepared),
            },
            conn=conn,
        )
        return Outcome(
            row.id,
            row.action,
            "pending_approval",
            summary,
            quote=prepared.quote,
            reason=reason,
            approval_id=approval_id,
        )

    def _new_action(self, scope: Scope, action: str, args_json: str, kind: str) -> str:
        """Insert the action row and its `proposal` audit record in one transaction."""
        now = utc_now_iso()
        proposal = {"action": action, "arguments": json.loads(args_json), "customer": scope.customer_id}
        for attempt in range(50):
            try:
                with self.db.begin() as conn:
                    same = select(gw_actions.c.id).where(
                        gw_actions.c.conversation_id == scope.conversation_id,
                        gw_actions.c.action == action[:64],
                        gw_actions.c.arguments == args_json,
                    )
                    n = len(conn.execute(same).all())
                    action_id = "act_" + short_hash(scope.conversation_id, action, args_json, str(n + attempt))
                    conn.execute(
                        insert(gw_actions).values(
                            id=action_id,
                            conversation_id=scope.conversation_id,
                            customer_id=scope.customer_id,
                            channel=scope.channel,
                            actor=scope.actor,
                            action=action[:64],
                            arguments=args_json,
                            kind=kind,
                            status="proposed",
                            summary="",
                            idempotency_key=f"purser:{action_id}",
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    self.audit.append(
                        "proposal",
                        actor=model_actor(scope.actor),
                        conversation_id=scope.conversation_id,
                        action_id=action_id,
                        data=proposal,
                        conn=conn,
                    )
                return action_id
            except IntegrityError:
                continue
        raise RuntimeError("could not allocate an action id")

    def _reuse_open(self, scope: Scope, action: str, args_json: str) -> Row[Any] | None:
        with self.db.read() as conn:
            return conn.execute(
                select(gw_actions).where(
                    gw_actions.c.conversation_id == scope.conversation_id,
                    gw_actions.c.action == action,
                    gw_actions.c.arguments == args_json,
                    gw_actions.c.status == "needs_confirmation",
                )
            ).first()

    def _row(self, action_id: str) -> Row[Any] | None:
        with self.db.read() as conn:
            return conn.execute(select(gw_actions).where(gw_actions.c.id == action_id)).first()

    def _finish(
        self,
        action_id: str,
        action: str,
        status: OutcomeStatus,
        summary: str,
        *,
        quote: dict[str, Any] | None = None,
        result: dict[str, Any] | None = None,
        reason: str | None = None,
        handoff_reason: str | None = None,
        approval_id: str | None = None,
        final: bool = True,
        prepared: Prepared | None = None,
    ) -> Outcome:
        """Persist the outcome on the action row, audit it, and apply the repeated-failure rule."""
        with self.db.begin() as conn:
            row = conn.execute(select(gw_actions).where(gw_actions.c.id == action_id)).first()
            stored_result = None if (row is not None and row.kind == "read") else result
            values: dict[str, Any] = {
                "status": status,
                "reason": reason,
                "summary": summary,
                "updated_at": utc_now_iso(),
                "result": canonical_json(stored_result) if stored_result is not None else None,
            }
            if prepared is not None:  # a fresh quote: what the customer's "yes" will bind to
                values.update(
                    quote=canonical_json(prepared.quote),
                    quote_hash=quote_hash(prepared.quote),
                    plan=canonical_json({**prepared.plan, "_fixed": prepared.fixed}),
                )
            conn.execute(update(gw_actions).where(gw_actions.c.id == action_id).values(**values))
            kind = "result" if final and status in ("succeeded", "failed", "declined", "denied") else "guard_decision"
            self.audit.append(
                kind,
                actor=SYSTEM,
                conversation_id=row.conversation_id if row else None,
                action_id=action_id,
                data={
                    "action": action,
                    "status": status,
                    "reason": reason,
                    "summary": summary,
                    "quote": quote,
                    "result": stored_result,
                    "handoff_reason": handoff_reason,
                },
                conn=conn,
            )
        outcome = Outcome(action_id, action, status, summary, quote, result, reason, handoff_reason, approval_id)
        if (
            row is not None
            and status in ("failed", "invalid")
            and "repeated_failure" in self.policy.escalation.triggers
        ):
            failures = sum(1 for a in self.actions(row.conversation_id) if a["status"] in ("failed", "invalid"))
            if failures == REPEATED_FAILURE_THRESHOLD:
                scope = Scope(row.conversation_id, CustomerId(row.customer_id), row.channel, row.actor)
                handoff = self.escalate(scope, "repeated_failure", f"{failures} actions failed in this conversation.")
                return replace(
                    outcome, result={**(result or {}), **(handoff.result or {})}, handoff_reason="repeated_failure"
                )
        return outcome


def load_json(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


def money_fields(prepared: Prepared) -> dict[str, Any]:
    if prepared.money is None:
        return {}
    return {"amount": prepared.money.amount_str(), "currency": prepared.money.currency}


def ago(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


__all__ = ["SYSTEM", "ActionRecords", "ago", "load_json", "model_actor", "money_fields"]
