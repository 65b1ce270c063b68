"""The gateway's execution of a confirmed or approved action (`Execution`, which `Gateway` inherits).

Re-quote and guard again inside the locked transaction that reserves refunds, request an approval
when the policy requires it, mark the action `executing` and commit before the processor is called,
then execute idempotently and record the outcome (audited). See docs/GATEWAY.md.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from purser.actions import ledger
from purser.actions.base import Context, Prepared, Refusal
from purser.actions.catalog import CATALOG
from purser.actions.handoffs import build_handoff_summary
from purser.actions.outcome import Outcome, Scope, quote_hash
from purser.actions.records import (
    ActionRecords,
    Answer,
    Superseded,
    compare_and_set,
    load_json,
    money_fields,
    record_answer,
)
from purser.audit.log import canonical_json, utc_now_iso
from purser.domain import AccountSnapshot, CustomerId
from purser.policy.guard import envelope_decision
from purser.ports.actions import Action, ActionChanges, ApprovalRequest
from purser.ports.unit_of_work import TurnBatch, UnitOfWork
from purser.processors import BillingProcessor, ProcessorError, ProcessorUnavailable


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {'unknown field' if err['type'] == 'extra_forbidden' else err['msg']}")
    return "; ".join(parts)


__all__ = ["IN_FLIGHT", "SHADOW", "Execution"]

SHADOW = "shadow"
"""The reason of an approval request raised only because the action runs in shadow mode."""

IN_FLIGHT = "idempotency_key_in_use"
"""The processor's code for a request whose idempotency key another request is still using (Stripe
answers 409 and stores nothing): the outcome is unknown yet, so nothing is recorded."""


class Execution(ActionRecords):
    """Confirmed actions carried out: `_go` (guard, approval, reservation), `_decide`, `_execute`."""

    processor: BillingProcessor
    _quoted: threading.local
    """Per thread: `last` = (action id, the account snapshot `_go` quoted it on), until the processor is
    asked to write anything (`take_quoted_snapshot`)."""

    def take_quoted_snapshot(self, action_id: str) -> AccountSnapshot | None:
        """The account as this thread's last `confirm` or `decide_approval` of `action_id` read it to
        quote again, when nothing was executed since (an approval requested, a refusal, a changed
        quote): the billing system is then as read, and the turn that tells the customer needs no
        second read of it. Taken once; any other action's is dropped (None)."""
        last: tuple[str, AccountSnapshot] | None = getattr(self._quoted, "last", None)
        self._quoted.last = None
        return last[1] if last is not None and last[0] == action_id else None

    def _context(self, snapshot: AccountSnapshot, known: list[Action], fixed: dict[str, Any] | None = None) -> Context:
        prior = [{"action": a.action, "status": a.status, "reason": a.reason} for a in known]
        return Context(self.policy, snapshot, self.processor, None, fixed or {}, prior)

    def _go(self, row: Action, *, approved_by: str | None, answer: Answer | None = None) -> Outcome:
        """Re-quote, guard again, then reserve and execute, or raise an approval request.

        For refunds the decision and the reservation happen in one transaction holding the
        customer's and the day's locks; other writes quote first (the processor is called) and
        then switch state in a short transaction.

        `row` is the action as this caller left it (`confirmed`, or `pending_approval` when approved):
        every write from here on is a compare-and-set on its status and `updated_at`, so when the
        recovery job settled the action meanwhile (this call was slower than its stale age), this
        call records nothing and returns what the action became (see `_superseded`).

        `answer`: the customer's "yes" to `row` (`needs_confirmation`), recorded by the first
        transaction that writes what it leads to (the reservation and `executing`, the approval
        request, or the outcome), so a confirmation turn has no transaction of its own for it, and
        no crash can leave a confirmed action that never reserved. `AlreadyAnswered` when the action
        was answered meanwhile (nothing recorded)."""
        try:
            return self._go_claimed(row, approved_by=approved_by, answer=answer)
        except Superseded:
            return self._superseded(row.id)

    def _superseded(self, action_id: str) -> Outcome:
        """What a caller that lost its action to the recovery job answers: the recorded outcome when
        there is one (the recovery told the customer the same), else that the result follows. Not
        recorded: the winner records and tells."""
        now = self._row(action_id)
        assert now is not None
        if now.status in ("succeeded", "failed", "refused", "declined", "denied", "invalid", "escalated"):
            return Outcome(
                now.id,
                now.action,
                now.status,  # type: ignore[arg-type]  # a final status stored by `_record_outcome`
                now.summary,
                load_json(now.quote),
                load_json(now.result),
                now.reason,
            )
        return self._unsettled(now, "The billing system is slow to answer; the result will follow here.", "unavailable")

    @staticmethod
    def _unsettled(row: Action, summary: str, reason: str) -> Outcome:
        """An outcome not recorded: the row stays `executing` for whoever settles it (`failed` to the
        turn, so nothing is claimed done)."""
        return Outcome(row.id, row.action, "failed", summary, quote=load_json(row.quote), reason=reason)

    def _go_claimed(self, row: Action, *, approved_by: str | None, answer: Answer | None = None) -> Outcome:
        spec = CATALOG[row.action]
        assert spec.prepare is not None
        scope = Scope(row.conversation_id, CustomerId(row.customer_id), row.channel, row.actor)
        args = spec.input_model.model_validate(json.loads(row.arguments))
        stored = load_json(row.plan) or {}
        try:
            snapshot = self.processor.snapshot(scope.customer_id)
        except ProcessorError as exc:
            return self._finish(
                row.id,
                row.action,
                "failed",
                f"The billing system said: {exc.message}",
                reason=exc.code,
                expect=row,
                answer=answer,
            )
        self._quoted.last = (row.id, snapshot)
        fixed = stored.get("_fixed")
        outcome: Outcome | Refusal | Action
        if spec.name == "refund":
            with self.uow.write() as uow:
                ledger.lock(uow, scope.customer_id, snapshot.now)
                # A refund's prepare never calls the processor: it runs in the locked transaction.
                known = uow.actions.of_conversation(scope.conversation_id) if spec.reads_prior else []
                ctx = self._context(snapshot, known, fixed)
                charge = snapshot.charge(str(stored.get("charge_id", "")))
                if charge is not None:
                    usage = ledger.usage(uow, self.policy, snapshot, charge.id, charge.amount.currency)
                    ctx = replace(ctx, usage=usage)
                try:
                    prepared = spec.prepare(ctx, args)
                except Refusal as ref:
                    outcome = ref
                else:
                    outcome = self._decide(uow, row, prepared, stored, snapshot.now, approved_by, answer)
        else:
            # Other writes may ask the processor while quoting: that happens before any lock is taken.
            known = self._actions(scope.conversation_id, None) if spec.reads_prior else []
            ctx = self._context(snapshot, known, fixed)
            try:
                prepared = spec.prepare(ctx, args)
            except Refusal as ref:
                outcome = ref
            except ProcessorError as exc:
                outcome = Refusal(exc.code, f"The billing system said: {exc.message}")
            else:
                with self.uow.write() as uow:
                    outcome = self._decide(uow, row, prepared, stored, snapshot.now, approved_by, answer)
        if isinstance(outcome, Refusal):
            return self._refusal(scope, row.id, row.action, outcome, expect=row, answer=answer)
        if isinstance(outcome, Action):
            return self._execute(outcome, load_json(outcome.plan) or {})
        return outcome  # recorded by `_decide`

    def _decide(
        self,
        uow: UnitOfWork,
        row: Action,
        prepared: Prepared,
        stored: dict[str, Any],
        now: datetime,
        approved_by: str | None,
        answer: Answer | None = None,
    ) -> Outcome | Action:
        """Inside the transaction: compare the quote, apply the envelope, then reserve; returns the
        outcome (recorded in this transaction, with `answer` when given), or the row as it now stands
        (`executing`) when it is to be executed next."""
        if answer is not None:
            record_answer(uow, answer)  # `AlreadyAnswered`: rolls back whatever this transaction wrote
        if quote_hash(prepared.quote) != row.quote_hash:
            return self._refused_here(
                uow,
                row,
                "The amounts changed since you confirmed; nothing was done. Here is the new quote.",
                prepared.quote,
                "quote_changed",
                answer,
            )
        decision = envelope_decision(self.policy, prepared.violations)
        if approved_by is None and decision.kind == "refuse":
            return self._refused_here(
                uow, row, self._outside(prepared, decision.reason), prepared.quote, decision.reason, answer
            )
        if approved_by is None and (decision.kind == "approval" or self.policy.shadowed(row.action)):
            # Shadow mode: inside the envelope, so it would have run on its own; a person decides instead.
            reason = str(decision.reason) if decision.kind == "approval" else SHADOW
            waiting = self._waiting_approval(uow, row, prepared)
            if waiting is not None:
                return self._refused_here(
                    uow,
                    row,
                    "A teammate is already reviewing the same request; you'll get the answer here.",
                    prepared.quote,
                    "approval_pending",
                    answer,
                )
            return self._request_approval(uow, row, prepared, reason, answer)
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
        compare_and_set(uow, row.id, executing, expect=row, answer=answer)  # a loser rolls the reservation back
        self._audit_last(
            uow,
            answer,
            "execution",
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
        )
        return executing.applied_to(row)

    def _refused_here(
        self,
        uow: UnitOfWork,
        row: Action,
        summary: str,
        quote: dict[str, Any],
        reason: str | None,
        answer: Answer | None,
    ) -> Outcome:
        """A refusal found inside `_decide`'s transaction, recorded there (`_finish` without a
        transaction of its own: a refusal is never a failure, so the repeated-failure rule has nothing
        to count)."""
        refusal = Outcome(row.id, row.action, "refused", summary, quote, None, reason)
        self._record_outcome(uow, None, row, refusal, final=True, prepared=None, expect=row, answer=answer)
        return refusal

    def _execute(self, row: Action, plan: dict[str, Any]) -> Outcome:
        """Call the processor for the `executing` action `row` and record the outcome, only while the
        row is still as `row` says (`Superseded` otherwise: the recovery job claimed it meanwhile)."""
        spec = CATALOG[row.action]
        assert spec.execute is not None
        self._quoted.last = None  # the billing system changes (or may have): a read before is stale
        try:
            executed = spec.execute(self.processor, plan, row.idempotency_key)
        except ProcessorError as exc:
            if not (isinstance(exc, ProcessorUnavailable) or exc.code == IN_FLIGHT):
                return self._failed(row, exc)
            # Unknown whether it happened (or the same request is still running elsewhere): the row
            # stays `executing` and the recovery job settles it with the same idempotency key.
            return self._unsettled(row, "The billing system did not answer; it will be retried.", exc.code)
        refund_id = str(executed.result["refund"]) if row.action == "refund" else None
        return self._finish(
            row.id,
            row.action,
            "succeeded",
            executed.summary,
            quote=load_json(row.quote),
            result=executed.result,
            also=self._settlement(row, refund_id=refund_id),
            expect=row,
        )

    def _failed(self, row: Action, exc: ProcessorError) -> Outcome:
        return self._finish(
            row.id,
            row.action,
            "failed",
            f"It did not go through: {exc.message.removesuffix(f' ({exc.code})').rstrip('.')}.",  # code: internal
            quote=load_json(row.quote),
            reason=exc.code,
            also=self._settlement(row, refund_id=None),
            expect=row,
        )

    @staticmethod
    def _target(action: str, plan: dict[str, Any]) -> str:
        # What a second request would duplicate: the same charge for refunds, the action itself otherwise.
        return f"{action}:{plan.get('charge_id', '')}" if action == "refund" else action

    def _waiting_approval(self, uow: UnitOfWork, row: Action, prepared: Prepared) -> ApprovalRequest | None:
        """A pending approval request of the same customer for the same target (one charge, one action):
        asking again collapses into it instead of queueing a second request for the team."""
        target = self._target(row.action, prepared.plan)
        for request in uow.approvals.pending_of(row.customer_id, row.action):
            other = uow.actions.get(request.action_id)
            if other is not None and self._target(other.action, load_json(other.plan) or {}) == target:
                return request
        return None

    @staticmethod
    def _settlement(row: Action, *, refund_id: str | None) -> Callable[[UnitOfWork], None] | None:
        """A refund's ledger settlement, written in the outcome's own transaction (None for other actions)."""
        if row.action != "refund":
            return None

        def settle(uow: UnitOfWork) -> None:
            ledger.settle(uow, row.id, refund_id=refund_id)

        return settle

    def _refusal(
        self,
        scope: Scope,
        action_id: str,
        action: str,
        ref: Refusal,
        *,
        batch: TurnBatch | None = None,
        expect: Action | None = None,
        answer: Answer | None = None,
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
            expect=expect,
            answer=answer,
        )

    @staticmethod
    def _outside(prepared: Prepared, reason: str | None) -> str:
        return f"{prepared.summary.rstrip('.')} is outside the policy ({reason}), so I can't do it here."
