"""The gateway: the one door every action goes through.

propose → (reads run at once) guard + quote → the customer's structured confirmation bound to the
quote's hash → re-quote and guard again (inside the locked transaction that reserves refunds) →
approval when the policy requires it → idempotent execution → audit record. See docs/GATEWAY.md.

Storage is behind the unit of work (`purser.ports.unit_of_work`): every write is one `write()`
transaction; money moves commit (reservation, `executing`) before the processor is called.
A turn may buffer its proposals in a `TurnBatch` and apply them with its own writes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from purser.actions import ledger
from purser.actions.base import ActionSpec, Context, Prepared, Refusal
from purser.actions.catalog import CATALOG
from purser.actions.handoffs import build_handoff_summary
from purser.actions.outcome import ApprovalRequest, Outcome, Scope, quote_hash
from purser.actions.records import SYSTEM, ActionRecords, ago, load_json, model_actor, money_fields
from purser.audit.log import AuditLog, canonical_json, utc_now_iso
from purser.domain import AccountSnapshot, CustomerId
from purser.policy.escalation import HANDOFF_REASONS
from purser.policy.guard import envelope_decision
from purser.policy.schema import Policy
from purser.ports.actions import Action, ActionChanges, Confirmation, Conflict
from purser.ports.unit_of_work import TurnBatch, UnitOfWork, UnitOfWorkFactory
from purser.processors import BillingProcessor, NotFound, ProcessorError, ProcessorUnavailable

if TYPE_CHECKING:
    from purser.store.db import Database


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {'unknown field' if err['type'] == 'extra_forbidden' else err['msg']}")
    return "; ".join(parts)


class Gateway(ActionRecords):
    """Validates, guards, quotes, confirms, approves, executes and audits every action."""

    def __init__(
        self,
        db: Database | None,
        processor: BillingProcessor,
        policy: Policy,
        audit: AuditLog,
        *,
        uow: UnitOfWorkFactory | None = None,
    ) -> None:
        """`uow` defaults to the store's unit of work on `db` (`purser.store.unit_of_work`)."""
        if uow is None:
            if db is None:
                raise TypeError("Gateway needs a database or a unit of work factory")
            from purser.store.unit_of_work import SqlUnitOfWorkFactory

            uow = SqlUnitOfWorkFactory(db)
        self.db = db
        self.uow = uow
        self.processor = processor
        self.policy = policy
        self.audit = audit

    # -- catalog --------------------------------------------------------------------------------
    def tools(self) -> list[ActionSpec]:
        """The actions the policy enables (handoff always), in catalog order."""
        return [spec for name, spec in CATALOG.items() if self.policy.actions.enabled(name)]

    # -- propose --------------------------------------------------------------------------------
    def propose(
        self,
        scope: Scope,
        action: str,
        arguments: dict[str, Any],
        *,
        snapshot: AccountSnapshot | None = None,
        batch: TurnBatch | None = None,
    ) -> Outcome:
        """Reads run at once; writes are validated, guarded and quoted.

        `snapshot`: the customer's account as the caller read it earlier in the same turn, with nothing
        written since (it is read here when absent). Proposing never writes to the billing system, and
        `confirm` re-reads the account and re-quotes before anything runs, so a quote made from it can
        never execute on state that has changed since.

        `batch`: the proposal's writes (action row, audit records) are recorded there instead of
        written; the caller applies the batch in its write transaction (`UnitOfWork.apply`) before
        anything confirms them. Later proposals of the same batch see its rows."""
        spec = CATALOG.get(action)
        raw_args = arguments if isinstance(arguments, dict) else {"_": repr(arguments)}
        args_json = canonical_json(json.loads(json.dumps(raw_args, default=str)))
        kind = spec.kind if spec else "write"
        known = self._actions(scope.conversation_id, batch)
        row = self._open_identical(known, action, args_json) if spec and spec.prepare else None
        if row is not None:
            proposal = {"action": action, "arguments": json.loads(args_json), "customer": scope.customer_id}
            actor, conversation_id = model_actor(scope.actor), scope.conversation_id
            if batch is not None:
                self.audit.buffer(
                    "proposal",
                    actor=actor,
                    conversation_id=conversation_id,
                    action_id=row.id,
                    data=proposal,
                    batch=batch,
                )
            else:
                self.audit.append(
                    "proposal", actor=actor, conversation_id=conversation_id, action_id=row.id, data=proposal
                )
        else:
            row = self._new_action(scope, action, args_json, kind, batch=batch, known=known)
            known = [*known, row]
        action_id = row.id
        if spec is None:
            return self._finish(
                action_id, action, "invalid", f"There is no action {action!r}.", reason="unknown_action", batch=batch
            )
        try:
            args = spec.input_model.model_validate(raw_args)
        except ValidationError as exc:
            return self._finish(
                action_id,
                action,
                "invalid",
                f"Invalid arguments: {_describe(exc)}",
                reason="invalid_arguments",
                batch=batch,
            )
        if not self.policy.actions.enabled(action):
            return self._finish(
                action_id, action, "refused", f"{action} is switched off here.", reason="disabled", batch=batch
            )
        if spec.kind == "control":
            return self.escalate(scope, str(args.reason), str(args.summary), action_id=action_id, batch=batch)  # type: ignore[attr-defined]
        try:
            if snapshot is None or snapshot.customer.id != scope.customer_id:
                snapshot = self.processor.snapshot(scope.customer_id)
            ctx = self._context(snapshot, known)
            if spec.run is not None:
                result = spec.run(ctx, args)
                return self._finish(action_id, action, "succeeded", f"{action} done.", result=result, batch=batch)
            assert spec.prepare is not None
            if spec.name == "refund":
                charge = snapshot.charge(str(raw_args.get("charge_id", "")).strip())
                if charge is not None:
                    with self.uow.read() as view:
                        used = ledger.usage(view, self.policy, snapshot, charge.id, charge.amount.currency)
                    ctx = replace(ctx, usage=used)
            prepared = spec.prepare(ctx, args)
        except Refusal as ref:
            return self._refusal(scope, action_id, action, ref, batch=batch)
        except ProcessorError as exc:
            return self._finish(
                action_id, action, "failed", f"The billing system said: {exc.message}", reason=exc.code, batch=batch
            )
        decision = envelope_decision(self.policy, prepared.violations)
        if decision.kind == "refuse":
            return self._finish(
                action_id,
                action,
                "refused",
                self._outside(prepared, decision.reason),
                reason=decision.reason,
                quote=prepared.quote,
                batch=batch,
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
            batch=batch,
        )

    # -- confirm --------------------------------------------------------------------------------
    def confirm(self, scope: Scope, action_id: str, decision: Literal["yes", "no"]) -> Outcome:
        """The customer's structured answer. yes: re-quote (must match), guard again, then execute or
        raise an approval request; no: declined. Someone else's, unknown or already-answered: refused."""
        row = self._row(action_id)
        audit: dict[str, Any] = {
            "actor": f"customer:{scope.customer_id}",
            "conversation_id": scope.conversation_id,
            "action_id": action_id,
            "data": {"decision": decision, "customer": scope.customer_id},
        }
        # Every answer is audited, a refused one too.
        if row is None or decision not in ("yes", "no"):
            self.audit.append("confirmation", **audit)
            return Outcome(action_id, "", "refused", "There is no such action to confirm.", reason="unknown_action")
        if row.conversation_id != scope.conversation_id or row.customer_id != scope.customer_id:
            self.audit.append("confirmation", **audit)
            return Outcome(action_id, "", "refused", "There is no such action to confirm.", reason="not_yours")
        try:
            with self.uow.write() as uow:  # the answer's audit record commits with it
                self.audit.append("confirmation", uow=uow, **audit)
                uow.actions.add_confirmation(
                    Confirmation(
                        row.id, scope.conversation_id, scope.customer_id, decision, row.quote_hash, utc_now_iso()
                    )
                )
                changes = ActionChanges(status="confirmed", updated_at=utc_now_iso())
                if not uow.actions.update(action_id, changes, expect_status="needs_confirmation"):
                    raise Conflict(f"action {action_id} is not waiting for an answer")
        except Conflict:
            self.audit.append("confirmation", **audit)
            return Outcome(
                action_id, row.action, "refused", "This action was already answered.", reason="already_decided"
            )
        if decision == "no":
            return self._finish(
                action_id, row.action, "declined", "Okay, nothing was changed.", quote=load_json(row.quote)
            )
        return self._go(row, approved_by=None)

    # -- approvals ------------------------------------------------------------------------------
    def decide_approval(self, approval_id: str, *, approve: bool, approver: str, reason: str) -> Outcome:
        """A human's decision. approve: the action runs (still inside the hard rules); deny: denied."""
        with self.uow.write() as uow:
            apr = uow.approvals.get(approval_id)
            changed = False
            if apr is not None:
                changed = uow.approvals.decide(
                    approval_id, approve=approve, decided_by=approver, decided_at=utc_now_iso(), reason=reason
                )
            if changed and apr is not None:
                self.audit.append(
                    "approval_decision",
                    actor=f"human:{approver}",
                    conversation_id=apr.conversation_id,
                    action_id=apr.action_id,
                    data={"approval_id": approval_id, "approve": approve, "reason": reason},
                    uow=uow,
                )
        if apr is None:
            return Outcome("", "", "refused", "There is no such approval request.", reason="unknown_approval")
        if not changed:
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
                quote=load_json(row.quote),
                approval_id=approval_id,
            )
        return self._go(row, approved_by=approver)

    # -- escalation -----------------------------------------------------------------------------
    def escalate(
        self, scope: Scope, reason: str, summary: str, *, action_id: str | None = None, batch: TurnBatch | None = None
    ) -> Outcome:
        """The handoff tool: hand the conversation to a human with a summary they can act on
        (`batch`: buffered, as in `propose`)."""
        if reason not in HANDOFF_REASONS:
            reason = "out_of_scope"
        if action_id is None:
            args_json = canonical_json({"reason": reason, "summary": summary})
            action_id = self._new_action(scope, "handoff", args_json, "control", batch=batch).id
        human = build_handoff_summary(self, scope, reason, summary, batch=batch)
        return self._finish(
            action_id,
            "handoff",
            "escalated",
            "I've passed this to a teammate, who will reply here.",
            reason=reason,
            handoff_reason=reason,
            result={"handoff": {"reason": reason, "summary": human}},
            batch=batch,
        )

    # -- recovery -------------------------------------------------------------------------------
    def recover(self, *, stale_after: timedelta = timedelta(minutes=2)) -> list[Outcome]:
        """Settle actions a crash left behind: `executing` ones are re-executed with the same
        idempotency key (the processor returns the first result if it had happened); `confirmed`
        ones that never reserved anything are refused as interrupted."""
        cutoff = utc_now_iso() if stale_after <= timedelta(0) else ago(stale_after)
        with self.uow.read() as uow:
            rows = uow.actions.stale(("executing", "confirmed"), cutoff)
        outcomes = []
        for row in rows:
            if row.status == "confirmed":
                outcomes.append(
                    self._finish(
                        row.id, row.action, "refused", "This was interrupted; please ask again.", reason="interrupted"
                    )
                )
            else:
                outcomes.append(self._execute(row, load_json(row.plan) or {}))
        return outcomes

    # -- internals ------------------------------------------------------------------------------
    def _context(self, snapshot: AccountSnapshot, known: list[Action], fixed: dict[str, Any] | None = None) -> Context:
        prior = [{"action": a.action, "status": a.status, "reason": a.reason} for a in known]
        return Context(self.policy, snapshot, self.processor, None, fixed or {}, prior)

    def _go(self, row: Action, *, approved_by: str | None) -> Outcome:
        """Re-quote, guard again, then reserve and execute, or raise an approval request.

        For refunds the decision and the reservation happen in one transaction holding the
        customer's and the day's locks; other writes quote first (the processor is called) and
        then switch state in a short transaction."""
        spec = CATALOG[row.action]
        assert spec.prepare is not None
        scope = Scope(row.conversation_id, CustomerId(row.customer_id), row.channel, row.actor)
        args = spec.input_model.model_validate(json.loads(row.arguments))
        stored = load_json(row.plan) or {}
        try:
            snapshot = self.processor.snapshot(scope.customer_id)
        except ProcessorError as exc:
            return self._finish(
                row.id, row.action, "failed", f"The billing system said: {exc.message}", reason=exc.code
            )
        ctx = self._context(snapshot, self._actions(scope.conversation_id, None), stored.get("_fixed"))
        outcome: Outcome | Refusal | Action
        if spec.name == "refund":
            with self.uow.write() as uow:
                ledger.lock(uow, scope.customer_id, snapshot.now)
                charge = snapshot.charge(str(stored.get("charge_id", "")))
                if charge is not None:
                    usage = ledger.usage(uow, self.policy, snapshot, charge.id, charge.amount.currency)
                    ctx = replace(ctx, usage=usage)
                try:
                    prepared = spec.prepare(ctx, args)
                except Refusal as ref:
                    outcome = ref
                else:
                    outcome = self._decide(uow, row, prepared, stored, snapshot.now, approved_by)
        else:
            try:
                prepared = spec.prepare(ctx, args)
            except Refusal as ref:
                outcome = ref
            except ProcessorError as exc:
                outcome = Refusal(exc.code, f"The billing system said: {exc.message}")
            else:
                with self.uow.write() as uow:
                    outcome = self._decide(uow, row, prepared, stored, snapshot.now, approved_by)
        if isinstance(outcome, Refusal):
            return self._refusal(scope, row.id, row.action, outcome)
        if isinstance(outcome, Action):
            return self._execute(outcome, load_json(outcome.plan) or {})
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

    def _decide(
        self,
        uow: UnitOfWork,
        row: Action,
        prepared: Prepared,
        stored: dict[str, Any],
        now: datetime,
        approved_by: str | None,
    ) -> Outcome | Action:
        """Inside the transaction: compare the quote, apply the envelope, then reserve; returns the
        outcome, or the row as it now stands (`executing`) when it is to be executed next."""
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
            return self._request_approval(uow, row, prepared, str(decision.reason))
        plan = {
            **prepared.plan,
            "_fixed": stored.get("_fixed", {}),
            "metadata": {"conversation_id": row.conversation_id, "action_id": row.id},
        }
        if row.action == "refund" and prepared.money is not None:
            ledger.reserve(
                uow,
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
        executing = ActionChanges(status="executing", updated_at=utc_now_iso(), plan=canonical_json(plan))
        uow.actions.update(row.id, executing)
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
                **money_fields(prepared),
            },
            uow=uow,
        )
        return executing.applied_to(row)

    def _execute(self, row: Action, plan: dict[str, Any]) -> Outcome:
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
                quote=load_json(row.quote),
                reason=exc.code,
            )
        except ProcessorError as exc:
            if row.action == "refund":
                with self.uow.write() as uow:
                    ledger.settle(uow, row.id, refund_id=None)
            return self._finish(
                row.id,
                row.action,
                "failed",
                f"It did not go through: {exc.message}",
                quote=load_json(row.quote),
                reason=exc.code,
            )
        if row.action == "refund":
            with self.uow.write() as uow:
                ledger.settle(uow, row.id, refund_id=str(executed.result["refund"]))
        return self._finish(
            row.id, row.action, "succeeded", executed.summary, quote=load_json(row.quote), result=executed.result
        )

    def _refusal(
        self, scope: Scope, action_id: str, action: str, ref: Refusal, *, batch: TurnBatch | None = None
    ) -> Outcome:
        result = None
        if ref.status == "escalated":
            reason = ref.handoff_reason or "out_of_scope"
            human = build_handoff_summary(self, scope, reason, f"{action}: {ref.summary}", batch=batch)
            result = {"handoff": {"reason": reason, "summary": human}}
        return self._finish(
            action_id,
            action,
            ref.status,
            ref.summary,
            reason=ref.reason,
            handoff_reason=ref.handoff_reason if ref.status == "escalated" else None,
            result=result,
            batch=batch,
        )

    @staticmethod
    def _outside(prepared: Prepared, reason: str | None) -> str:
        return f"{prepared.summary.rstrip('.')} is outside the policy ({reason}), so I can't do it here."


__all__ = ["ApprovalRequest", "Gateway", "NotFound", "Outcome", "Scope"]
