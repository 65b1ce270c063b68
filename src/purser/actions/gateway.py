"""The gateway: the one door every action goes through.

propose → (reads run at once) guard + quote → the customer's structured confirmation bound to the
quote's hash → re-quote and guard again (inside the locked transaction that reserves refunds) →
approval when the policy requires it → idempotent execution → audit record. See docs/GATEWAY.md.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.actions import ledger
from purser.actions.base import ActionSpec, Context, Prepared, Refusal
from purser.actions.catalog import CATALOG
from purser.actions.handoffs import build_handoff_summary
from purser.actions.outcome import ApprovalRequest, Outcome, OutcomeStatus, Scope, quote_hash, short_hash
from purser.audit.log import AuditLog, canonical_json, utc_now_iso
from purser.domain import AccountSnapshot, CustomerId
from purser.policy.escalation import HANDOFF_REASONS, REPEATED_FAILURE_THRESHOLD
from purser.policy.guard import envelope_decision
from purser.policy.schema import Policy
from purser.processors import BillingProcessor, NotFound, ProcessorError, ProcessorUnavailable
from purser.store.db import Database
from purser.store.gateway_tables import gw_actions, gw_approvals, gw_confirmations

SYSTEM = "system:gateway"


def _model(actor: str) -> str:
    return actor if ":" in actor else f"model:{actor}"


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {'unknown field' if err['type'] == 'extra_forbidden' else err['msg']}")
    return "; ".join(parts)


class Gateway:
    """Validates, guards, quotes, confirms, approves, executes and audits every action."""

    def __init__(self, db: Database, processor: BillingProcessor, policy: Policy, audit: AuditLog) -> None:
        self.db = db
        self.processor = processor
        self.policy = policy
        self.audit = audit

    # -- catalog --------------------------------------------------------------------------------
    def tools(self) -> list[ActionSpec]:
        """The actions the policy enables (handoff always), in catalog order."""
        return [spec for name, spec in CATALOG.items() if self.policy.actions.enabled(name)]

    # -- propose --------------------------------------------------------------------------------
    def propose(self, scope: Scope, action: str, arguments: dict[str, Any]) -> Outcome:
        """Reads run at once; writes are validated, guarded and quoted."""
        spec = CATALOG.get(action)
        raw_args = arguments if isinstance(arguments, dict) else {"_": repr(arguments)}
        args_json = canonical_json(json.loads(json.dumps(raw_args, default=str)))
        kind = spec.kind if spec else "write"
        row = self._reuse_open(scope, action, args_json) if spec and spec.prepare else None
        if row is not None:
            action_id = str(row.id)
            self.audit.append(
                "proposal",
                actor=_model(scope.actor),
                conversation_id=scope.conversation_id,
                action_id=action_id,
                data={"action": action, "arguments": json.loads(args_json), "customer": scope.customer_id},
            )
        else:
            action_id = self._new_action(scope, action, args_json, kind)
        if spec is None:
            return self._finish(
                action_id, action, "invalid", f"There is no action {action!r}.", reason="unknown_action"
            )
        try:
            args = spec.input_model.model_validate(raw_args)
        except ValidationError as exc:
            return self._finish(
                action_id, action, "invalid", f"Invalid arguments: {_describe(exc)}", reason="invalid_arguments"
            )
        if not self.policy.actions.enabled(action):
            return self._finish(action_id, action, "refused", f"{action} is switched off here.", reason="disabled")
        if spec.kind == "control":
            return self.escalate(scope, str(args.reason), str(args.summary), action_id=action_id)  # type: ignore[attr-defined]
        try:
            snapshot = self.processor.snapshot(scope.customer_id)
            ctx = self._context(scope, snapshot)
            if spec.run is not None:
                result = spec.run(ctx, args)
                return self._finish(action_id, action, "succeeded", f"{action} done.", result=result)
            assert spec.prepare is not None
            if spec.name == "refund":
                with self.db.read() as conn:
                    charge = snapshot.charge(str(raw_args.get("charge_id", "")).strip())
                    if charge is not None:
                        ctx = replace(
                            ctx, usage=ledger.usage(conn, self.policy, snapshot, charge.id, charge.amount.currency)
                        )
            prepared = spec.prepare(ctx, args)
        except Refusal as ref:
            return self._refusal(scope, action_id, action, ref)
        except ProcessorError as exc:
            return self._finish(action_id, action, "failed", f"The billing system said: {exc.message}", reason=exc.code)
        decision = envelope_decision(self.policy, prepared.violations)
        if decision.kind == "refuse":
            return self._finish(
                action_id,
                action,
                "refused",
                self._outside(prepared, decision.reason),
                reason=decision.reason,
                quote=prepared.quote,
            )
        summary = prepared.summary
        if decision.kind == "approval":
            summary += " This is outside the automatic policy, so after you confirm a teammate reviews it."
        return self._finish(
            action_id,
            action,
            "needs_confirmation",
            summary,
            quote=prepared.quote,
            reason=decision.reason,
            final=False,
            prepared=prepared,
        )

    # -- confirm --------------------------------------------------------------------------------
    def confirm(self, scope: Scope, action_id: str, decision: Literal["yes", "no"]) -> Outcome:
        """The customer's structured answer. yes: re-quote (must match), guard again, then execute or
        raise an approval request; no: declined. Someone else's, unknown or already-answered: refused."""
        row = self._row(action_id)
        audit_data = {"decision": decision, "customer": scope.customer_id}
        self.audit.append(
            "confirmation",
            actor=f"customer:{scope.customer_id}",
            conversation_id=scope.conversation_id,
            action_id=action_id,
            data=audit_data,
        )
        if row is None or decision not in ("yes", "no"):
            return Outcome(action_id, "", "refused", "There is no such action to confirm.", reason="unknown_action")
        if row.conversation_id != scope.conversation_id or row.customer_id != scope.customer_id:
            return Outcome(action_id, "", "refused", "There is no such action to confirm.", reason="not_yours")
        try:
            with self.db.begin() as conn:
                conn.execute(
                    insert(gw_confirmations).values(
                        action_id=action_id,
                        conversation_id=scope.conversation_id,
                        customer_id=scope.customer_id,
                        decision=decision,
                        quote_hash=row.quote_hash,
                        created_at=utc_now_iso(),
                    )
                )
                changed = conn.execute(
                    update(gw_actions)
                    .where(gw_actions.c.id == action_id, gw_actions.c.status == "needs_confirmation")
                    .values(status="confirmed", updated_at=utc_now_iso())
                ).rowcount
                if changed != 1:
                    raise IntegrityError("not pending", None, ValueError("not pending"))
        except IntegrityError:
            return Outcome(
                action_id, row.action, "refused", "This action was already answered.", reason="already_decided"
            )
        if decision == "no":
            return self._finish(action_id, row.action, "declined", "Okay, nothing was changed.", quote=_load(row.quote))
        return self._go(row, approved_by=None)

    # -- approvals ------------------------------------------------------------------------------
    def decide_approval(self, approval_id: str, *, approve: bool, approver: str, reason: str) -> Outcome:
        """A human's decision. approve: the action runs (still inside the hard rules); deny: denied."""
        with self.db.begin() as conn:
            apr = conn.execute(select(gw_approvals).where(gw_approvals.c.id == approval_id)).first()
            changed = 0
            if apr is not None:
                changed = conn.execute(
                    update(gw_approvals)
                    .where(gw_approvals.c.id == approval_id, gw_approvals.c.status == "pending")
                    .values(
                        status="approved" if approve else "denied",
                        decided_by=approver,
                        decided_at=utc_now_iso(),
                        decision_reason=reason,
                    )
                ).rowcount
            if changed == 1 and apr is not None:
                self.audit.append(
                    "approval_decision",
                    actor=f"human:{approver}",
                    conversation_id=apr.conversation_id,
                    action_id=apr.action_id,
                    data={"approval_id": approval_id, "approve": approve, "reason": reason},
                    conn=conn,
                )
        if apr is None:
            return Outcome("", "", "refused", "There is no such approval request.", reason="unknown_approval")
        if changed != 1:
            return Outcome(
                apr.action_id, apr.action, "refused", "This request was already decided.", reason="already_decided"
            )
        row = self._row(apr.action_id)
        assert row is not None
        if not approve:
            return self._finish(
                row.id,
                row.action,
                "denied",
                f"A teammate reviewed the request and declined it: {reason}",
                reason="denied",
                quote=_load(row.quote),
                approval_id=approval_id,
            )
        return self._go(row, approved_by=approver)

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

    # -- escalation -----------------------------------------------------------------------------
    def escalate(self, scope: Scope, reason: str, summary: str, *, action_id: str | None = None) -> Outcome:
        """The handoff tool: hand the conversation to a human with a summary they can act on."""
        if reason not in HANDOFF_REASONS:
            reason = "out_of_scope"
        if action_id is None:
            args_json = canonical_json({"reason": reason, "summary": summary})
            action_id = self._new_action(scope, "handoff", args_json, "control")
        human = build_handoff_summary(self, scope, reason, summary)
        return self._finish(
            action_id,
            "handoff",
            "escalated",
            "I've passed this to a teammate, who will reply here.",
            reason=reason,
            handoff_reason=reason,
            result={"handoff": {"reason": reason, "summary": human}},
        )

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
                "quote": _load(r.quote),
                "arguments": json.loads(r.arguments),
            }
            for r in rows
        ]

    # -- recovery -------------------------------------------------------------------------------
    def recover(self, *, stale_after: timedelta = timedelta(minutes=2)) -> list[Outcome]:
        """Settle actions a crash left behind: `executing` ones are re-executed with the same
        idempotency key (the processor returns the first result if it had happened); `confirmed`
        ones that never reserved anything are refused as interrupted."""
        cutoff = utc_now_iso() if stale_after <= timedelta(0) else _ago(stale_after)
        with self.db.read() as conn:
            rows = conn.execute(
                select(gw_actions).where(
                    gw_actions.c.status.in_(("executing", "confirmed")), gw_actions.c.updated_at <= cutoff
                )
            ).all()
        outcomes = []
        for row in rows:
            if row.status == "confirmed":
                outcomes.append(
                    self._finish(
                        row.id, row.action, "refused", "This was interrupted; please ask again.", reason="interrupted"
                    )
                )
            else:
                outcomes.append(self._execute(row, _load(row.plan) or {}))
        return outcomes

    # -- internals ------------------------------------------------------------------------------
    def _context(self, scope: Scope, snapshot: AccountSnapshot, fixed: dict[str, Any] | None = None) -> Context:
        prior = [
            {"action": a["action"], "status": a["status"], "reason": a["reason"]}
            for a in self.actions(scope.conversation_id)
        ]
        return Context(self.policy, snapshot, self.processor, None, fixed or {}, prior)

    def _go(self, row: Row[Any], *, approved_by: str | None) -> Outcome:
        """Re-quote, guard again, then reserve and execute, or raise an approval request.

        For refunds the decision and the reservation happen in one transaction holding the
        customer's and the day's locks; other writes quote first (the processor is called) and
        then switch state in a short transaction."""
        spec = CATALOG[row.action]
        assert spec.prepare is not None
        scope = Scope(row.conversation_id, CustomerId(row.customer_id), row.channel, row.actor)
        args = spec.input_model.model_validate(json.loads(row.arguments))
        stored = _load(row.plan) or {}
        try:
            snapshot = self.processor.snapshot(scope.customer_id)
        except ProcessorError as exc:
            return self._finish(
                row.id, row.action, "failed", f"The billing system said: {exc.message}", reason=exc.code
            )
        ctx = self._context(scope, snapshot, stored.get("_fixed"))
        outcome: Outcome | Refusal | None
        if spec.name == "refund":
            with self.db.begin() as conn:
                ledger.lock(conn, scope.customer_id, snapshot.now)
                charge = snapshot.charge(str(stored.get("charge_id", "")))
                if charge is not None:
                    usage = ledger.usage(conn, self.policy, snapshot, charge.id, charge.amount.currency)
                    ctx = replace(ctx, usage=usage)
                try:
                    prepared = spec.prepare(ctx, args)
                except Refusal as ref:
                    outcome = ref
                else:
                    outcome = self._decide(conn, row, prepared, stored, snapshot.now, approved_by)
        else:
            try:
                prepared = spec.prepare(ctx, args)
            except Refusal as ref:
                outcome = ref
            except ProcessorError as exc:
                outcome = Refusal(exc.code, f"The billing system said: {exc.message}")
            else:
                with self.db.begin() as conn:
                    outcome = self._decide(conn, row, prepared, stored, snapshot.now, approved_by)
        if isinstance(outcome, Refusal):
            return self._refusal(scope, row.id, row.action, outcome)
        if outcome is not None:
            if outcome.status == "pending_approval":
                return outcome
            return self._finish(
                outcome.action_id,
                outcome.action,
                outcome.status,
                outcome.summary,
                quote=outcome.quote,
                reason=outcome.reason,
            )
        fresh = self._row(row.id)
        assert fresh is not None
        return self._execute(fresh, _load(fresh.plan) or {})

    def _decide(
        self,
        conn: Connection,
        row: Row[Any],
        prepared: Prepared,
        stored: dict[str, Any],
        now: datetime,
        approved_by: str | None,
    ) -> Outcome | None:
        """Inside the transaction: compare the quote, apply the envelope, then reserve (None = execute next)."""
        if quote_hash(prepared.quote) != row.quote_hash:
            return Outcome(
                row.id,
                row.action,
                "refused",
                "The amounts changed since you confirmed; nothing was done. Here is the new quote.",
                quote=prepared.quote,
                reason="quote_changed",
            )
        decision = envelope_decision(self.policy, prepared.violations)
        if approved_by is None and decision.kind == "refuse":
            return Outcome(
                row.id,
                row.action,
                "refused",
                self._outside(prepared, decision.reason),
                quote=prepared.quote,
                reason=decision.reason,
            )
        if approved_by is None and decision.kind == "approval":
            return self._request_approval(conn, row, prepared, str(decision.reason))
        plan = {
            **prepared.plan,
            "_fixed": stored.get("_fixed", {}),
            "metadata": {"conversation_id": row.conversation_id, "action_id": row.id},
        }
        if row.action == "refund" and prepared.money is not None:
            ledger.reserve(
                conn,
                action_id=row.id,
                conversation_id=row.conversation_id,
                customer_id=row.customer_id,
                charge_id=str(prepared.plan["charge_id"]),
                amount=prepared.money,
                now=now,
                counts=prepared.counts,
                approved=approved_by is not None,
                idempotency_key=row.idempotency_key,
            )
        conn.execute(
            update(gw_actions)
            .where(gw_actions.c.id == row.id)
            .values(status="executing", plan=canonical_json(plan), updated_at=utc_now_iso())
        )
        self.audit.append(
            "execution",
            actor=SYSTEM,
            conversation_id=row.conversation_id,
            action_id=row.id,
            data={
                "action": row.action,
                "status": "executing",
                "quote": prepared.quote,
                "approved_by": approved_by,
                "idempotency_key": row.idempotency_key,
                **_money_fields(prepared),
            },
            conn=conn,
        )
        return None

    def _execute(self, row: Row[Any], plan: dict[str, Any]) -> Outcome:
        spec = CATALOG[row.action]
        assert spec.execute is not None
        try:
            executed = spec.execute(self.processor, plan, row.idempotency_key)
        except ProcessorUnavailable as exc:
            return Outcome(
                row.id,
                row.action,
                "failed",
                "The billing system did not answer; it will be retried.",
                quote=_load(row.quote),
                reason=exc.code,
            )
        except ProcessorError as exc:
            with self.db.begin() as conn:
                ledger.settle(conn, row.id, refund_id=None)
            return self._finish(
                row.id,
                row.action,
                "failed",
                f"It did not go through: {exc.message}",
                quote=_load(row.quote),
                reason=exc.code,
            )
        with self.db.begin() as conn:
            if row.action == "refund":
                ledger.settle(conn, row.id, refund_id=str(executed.result["refund"]))
        return self._finish(
            row.id, row.action, "succeeded", executed.summary, quote=_load(row.quote), result=executed.result
        )

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
                requested_by=_model(row.actor),
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
                **_money_fields(prepared),
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

    def _refusal(self, scope: Scope, action_id: str, action: str, ref: Refusal) -> Outcome:
        result = None
        if ref.status == "escalated":
            reason = ref.handoff_reason or "out_of_scope"
            human = build_handoff_summary(self, scope, reason, f"{action}: {ref.summary}")
            result = {"handoff": {"reason": reason, "summary": human}}
        return self._finish(
            action_id,
            action,
            ref.status,
            ref.summary,
            reason=ref.reason,
            handoff_reason=ref.handoff_reason if ref.status == "escalated" else None,
            result=result,
        )

    @staticmethod
    def _outside(prepared: Prepared, reason: str | None) -> str:
        return f"{prepared.summary.rstrip('.')} is outside the policy ({reason}), so I can't do it here."

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
                        actor=_model(scope.actor),
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
        row = self._row(action_id)
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
        with self.db.begin() as conn:
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


def _load(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None


def _money_fields(prepared: Prepared) -> dict[str, Any]:
    if prepared.money is None:
        return {}
    return {"amount": prepared.money.amount_str(), "currency": prepared.money.currency}


def _ago(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


__all__ = ["ApprovalRequest", "Gateway", "NotFound", "Outcome", "Scope"]
