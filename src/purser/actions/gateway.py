"""The gateway: the one door every action goes through.

propose → (reads run at once) guard + quote → the customer's structured confirmation bound to the
quote's hash → re-quote and guard again (inside the locked transaction that reserves refunds) →
approval when the policy requires it → idempotent execution → audit record. See docs/GATEWAY.md.

Storage is behind the unit of work (`purser.ports.unit_of_work`): every write is one `write()`
transaction; money moves commit (reservation, `executing`) before the processor is called.
A turn may buffer its proposals in a `TurnBatch` and apply them with its own writes. What happens
once an action is confirmed or approved (re-guard, approval, reservation, execution) is `Execution`
in execution.py, which `Gateway` inherits.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from purser.actions import ledger, lookup_account
from purser.actions.base import ActionSpec, Refusal
from purser.actions.catalog import CATALOG
from purser.actions.execution import Execution
from purser.actions.handoffs import build_handoff_summary
from purser.actions.outcome import ApprovalRequest, Outcome, Scope
from purser.actions.records import AlreadyAnswered, Answer, Superseded, ago, load_json, model_actor
from purser.audit.log import AuditLog, canonical_json, utc_now_iso
from purser.domain import AccountSnapshot
from purser.policy.escalation import HANDOFF_REASONS
from purser.policy.guard import envelope_decision
from purser.policy.schema import Policy
from purser.ports.actions import Action, ActionChanges, Confirmation
from purser.ports.audit import draft
from purser.ports.unit_of_work import TurnBatch, UnitOfWorkFactory
from purser.processors import BillingProcessor, NotFound, ProcessorError

if TYPE_CHECKING:
    from purser.actions.approvals import ApprovalRules
    from purser.store.db import Database


log = logging.getLogger("purser.recovery")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {'unknown field' if err['type'] == 'extra_forbidden' else err['msg']}")
    return "; ".join(parts)


DENIED = "A teammate reviewed the request and declined it; nothing was changed. Reply here if you'd like to know more."
"""What the customer hears of a denial. The reviewer's reason is an internal note (kept on the approval
and in the audit record); the customer hears the decision, never the note verbatim."""


class Gateway(Execution):
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
        self.approval_rules: ApprovalRules | None = None
        """Approver limits and two-person approval (`purser.actions.approvals`); set by the bootstrap."""
        self._account_view: tuple[AccountSnapshot, dict[str, Any]] | None = None
        self._quoted = threading.local()

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
                result = self.account_view(snapshot) if spec.run is lookup_account.run else spec.run(ctx, args)
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

    def account_view(self, snapshot: AccountSnapshot) -> dict[str, Any]:
        """`lookup_account`'s JSON of `snapshot` (the account in a turn's context), kept for the last
        snapshot asked about: a turn's context and its `lookup_account` call on the same snapshot
        share one serialization. A snapshot never changes, so neither does its JSON; the dict is
        shared, and nobody writes to it."""
        last = self._account_view
        if last is not None and last[0] is snapshot:
            return last[1]
        view = lookup_account.account_json(snapshot)
        self._account_view = (snapshot, view)  # one assignment: another thread sees the old or the new pair
        return view

    # -- confirm --------------------------------------------------------------------------------
    def confirm(
        self, scope: Scope, action_id: str, decision: Literal["yes", "no"], *, row: Action | None = None
    ) -> Outcome:
        """The customer's structured answer. yes: re-quote (must match), guard again, then execute or
        raise an approval request; no: declined. Someone else's, unknown or already-answered: refused.

        `row`: the action as the caller read it in this turn (read here when absent). Its status is
        checked again by the write that records the answer (a compare-and-set), so an answer that
        raced another one is refused as already answered."""
        self._quoted.last = None  # only this call's read may be handed on (`take_quoted_snapshot`)
        if row is None or row.id != action_id:
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
        answer = Answer(
            Confirmation(row.id, scope.conversation_id, scope.customer_id, decision, row.quote_hash, utc_now_iso()),
            draft("confirmation", **audit),
        )
        try:
            if row.status != "needs_confirmation":  # as read in this turn: answered already, no work to do
                raise AlreadyAnswered(f"action {action_id} is not waiting for an answer")
            if decision == "no":
                return self._finish(
                    action_id,
                    row.action,
                    "declined",
                    "Okay, nothing was changed.",
                    quote=load_json(row.quote),
                    expect=row,
                    answer=answer,
                )
            # The answer commits with the first write of what it leads to (see `_go`).
            return self._go(row, approved_by=None, answer=answer)
        except AlreadyAnswered:
            self.audit.append("confirmation", **audit)
            return Outcome(
                action_id, row.action, "refused", "This action was already answered.", reason="already_decided"
            )

    # -- approvals ------------------------------------------------------------------------------
    def decide_approval(self, approval_id: str, *, approve: bool, approver: str, reason: str) -> Outcome:
        """A human's decision. approve: the action runs (still inside the hard rules); deny: denied.

        The approval rules run first: an approver above their limit or without the role is refused, and a
        first signature of a two-person approval returns `pending_approval` with nothing decided."""
        self._quoted.last = None  # only this call's read may be handed on (`take_quoted_snapshot`)
        signers: tuple[str, ...] = ()
        if self.approval_rules is not None:
            review = self.approval_rules.review(self.approval(approval_id), approve=approve, approver=approver)
            if review.pending is not None:
                return review.pending
            signers = review.signers
        row: Action | None = None
        denial: Outcome | None = None
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
                    data={
                        "approval_id": approval_id,
                        "approve": approve,
                        "reason": reason,
                        **({"signers": list(signers)} if signers else {}),
                    },
                    uow=uow,
                )
                # The action as the decision leaves it, read in the same transaction; a denial's
                # outcome commits with the decision (one transaction, the same records in order).
                row = uow.actions.get(apr.action_id)
                assert row is not None
                if not approve:
                    denial = Outcome(row.id, row.action, "denied", DENIED, load_json(row.quote), reason="denied")
                    self._record_outcome(uow, None, row, denial, final=True, prepared=None)
        if apr is None:
            return Outcome("", "", "refused", "There is no such approval request.", reason="unknown_approval")
        if not changed or row is None:
            return Outcome(
                apr.action_id, apr.action, "refused", "This request was already decided.", reason="already_decided"
            )
        if denial is not None:
            return replace(denial, approval_id=approval_id)
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
        ones that never reserved anything are refused as interrupted.

        Only one caller records an action's outcome. An `executing` action is claimed first with a
        compare-and-set on its status and `updated_at` (which the claim moves on), and every outcome
        is recorded only while the row is still as its recorder claimed it. So when the first call is
        merely slow (its processor call outlasts `stale_after`) and finishes after the claim, it records
        nothing; when it finishes before, the claim fails and this records nothing; a recovery that is
        itself slower than `stale_after` loses to the next one the same way. A loser is left out of the
        returned outcomes, so nobody is told twice."""
        cutoff = utc_now_iso() if stale_after <= timedelta(0) else ago(stale_after)
        with self.uow.read() as uow:
            rows = uow.actions.stale(("executing", "confirmed"), cutoff)
        outcomes = []
        for row in rows:
            try:
                if row.status == "confirmed":
                    outcomes.append(
                        self._finish(
                            row.id,
                            row.action,
                            "refused",
                            "This was interrupted; please ask again.",
                            reason="interrupted",
                            expect=row,
                        )
                    )
                    continue
                claimed = self._claim(row)
                if claimed is not None:
                    outcomes.append(self._execute(claimed, load_json(claimed.plan) or {}))
            except Superseded:
                log.info("recovery: action %s was settled by another caller meanwhile", row.id)
        return outcomes

    def _claim(self, row: Action) -> Action | None:
        """Take over the stale `executing` action `row` (compare-and-set; audited), or None when its
        first call or another recovery settled or claimed it since it was read."""
        changes = ActionChanges(status=row.status, updated_at=utc_now_iso())
        with self.uow.write() as uow:
            if not uow.actions.update(row.id, changes, expect_status=row.status, expect_updated_at=row.updated_at):
                return None
            self.audit.append(
                "recovery_claim",
                actor="system:recovery",
                conversation_id=row.conversation_id,
                action_id=row.id,
                data={"action": row.action, "idempotency_key": row.idempotency_key, "stale_since": row.updated_at},
                uow=uow,
            )
        return changes.applied_to(row)

    # -- internals ------------------------------------------------------------------------------


__all__ = ["ApprovalRequest", "Gateway", "NotFound", "Outcome", "Scope"]
