"""Persistence of the gateway: action rows, outcomes with their audit records, approval requests.

`ActionRecords` is the base of `Gateway`; it owns every read and write of actions and approval
requests, through the unit of work (`purser.ports.unit_of_work`). With a `TurnBatch` the writes
of a proposal are recorded in the batch instead (and read back from it), so a turn's proposals
cost one write transaction, applied by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from purser.actions.base import Prepared
from purser.actions.outcome import ApprovalRequest, Outcome, OutcomeStatus, Scope, quote_hash, short_hash
from purser.audit.log import AuditLog, canonical_json, utc_now_iso
from purser.domain import CustomerId
from purser.errors import PurserError
from purser.policy.escalation import REPEATED_FAILURE_THRESHOLD
from purser.policy.schema import Policy
from purser.ports.actions import Action, ActionChanges, ActionId, Confirmation, Conflict
from purser.ports.audit import AuditDraft, draft
from purser.ports.unit_of_work import TurnBatch, UnitOfWork, UnitOfWorkFactory

SYSTEM = "system:gateway"
"""The actor of the gateway's own audit records."""

ID_ATTEMPTS = 50
"""How often a new action id is re-drawn when a concurrent proposal took it."""


class Superseded(PurserError):
    """The action's outcome belongs to someone else now: the recovery job claimed the action while
    this call was still running (or this recovery was itself claimed again). Nothing was recorded."""

    code = "superseded"
    status = 409


class ActionIdExhausted(PurserError, RuntimeError):
    """No free action id after `ID_ATTEMPTS` draws (a bug or a storm of identical proposals)."""

    code = "action_id_exhausted"
    status = 503


@dataclass(frozen=True, slots=True)
class Answer:
    """The customer's answer to a `needs_confirmation` action, recorded by the transaction that acts on
    it (the outcome's, or the one that reserves and marks the action `executing`): the confirmation row,
    the status moving on from `needs_confirmation` (a compare-and-set) and the `confirmation` audit
    record commit together, or not at all. A second answer finds the confirmation row taken or the
    status moved on and raises `AlreadyAnswered`, rolling back everything its transaction wrote."""

    confirmation: Confirmation
    """The `gw_confirmations` row (unique per action)."""
    record: AuditDraft
    """The `confirmation` audit record (appended before the records of what the answer caused)."""


class AlreadyAnswered(Conflict):
    """The action was no longer waiting for the customer's answer (another answer came first)."""

    code = "already_answered"


def record_answer(uow: UnitOfWork, answer: Answer) -> None:
    """Insert the answer's confirmation row (`AlreadyAnswered` when the action has one)."""
    try:
        uow.actions.add_confirmation(answer.confirmation)
    except Conflict as exc:
        raise AlreadyAnswered(str(exc)) from exc


def compare_and_set(
    uow: UnitOfWork, action_id: str, changes: ActionChanges, *, expect: Action | None, answer: Answer | None
) -> None:
    """Write `changes` to the action row: from `needs_confirmation` when `answer` is recorded with
    them (`AlreadyAnswered` otherwise), only while the row is as `expect` left it
    (`Superseded` otherwise), or unconditionally."""
    if answer is not None:
        if not uow.actions.update(action_id, changes, expect_status="needs_confirmation"):
            raise AlreadyAnswered(f"action {action_id} is not waiting for an answer")
    elif expect is not None:
        if not uow.actions.update(action_id, changes, expect_status=expect.status, expect_updated_at=expect.updated_at):
            raise Superseded(f"action {action_id} was settled by another caller")
    else:
        uow.actions.update(action_id, changes)


def model_actor(actor: str) -> str:
    """The audit actor of a model name (`model:<name>`), unless it names its kind already."""
    return actor if ":" in actor else f"model:{actor}"


def view(action: Action) -> dict[str, Any]:
    """An action as the dashboards and the handoff summary show it (JSON)."""
    return {
        "id": action.id,
        "action": action.action,
        "status": action.status,
        "reason": action.reason,
        "summary": action.summary,
        "quote": load_json(action.quote),
        "arguments": json.loads(action.arguments),
    }


class ActionRecords:
    """Rows of proposed actions and approval requests, each change audited in the same transaction."""

    uow: UnitOfWorkFactory
    audit: AuditLog
    policy: Policy

    def escalate(
        self, scope: Scope, reason: str, summary: str, *, action_id: str | None = None, batch: TurnBatch | None = None
    ) -> Outcome:
        """Hand the conversation to a human (implemented by `Gateway`)."""
        raise NotImplementedError

    def approvals(self, *, status: str | None = None, conversation_id: str | None = None) -> list[ApprovalRequest]:
        """Approval requests, oldest first."""
        with self.uow.read() as uow:
            return uow.approvals.list(status=status, conversation_id=conversation_id)

    def approval(self, approval_id: str) -> ApprovalRequest | None:
        """One approval request."""
        with self.uow.read() as uow:
            return uow.approvals.get(approval_id)

    def actions(self, conversation_id: str, *, batch: TurnBatch | None = None) -> list[dict[str, Any]]:
        """The actions of a conversation, oldest first (for summaries and the dashboard); with
        `batch`, as they stand once the batch is applied."""
        return [view(a) for a in self._actions(conversation_id, batch)]

    def _actions(self, conversation_id: str, batch: TurnBatch | None) -> list[Action]:
        stored = batch.stored.get(conversation_id) if batch is not None else None
        if stored is None:
            with self.uow.read() as uow:
                stored = uow.actions.of_conversation(conversation_id)
            if batch is not None:
                batch.stored[conversation_id] = stored
        if batch is None:
            return stored
        return [batch.updated(a) for a in stored] + batch.of_conversation(conversation_id)

    def _request_approval(
        self, uow: UnitOfWork, row: Action, prepared: Prepared, reason: str, answer: Answer | None = None
    ) -> Outcome:
        approval_id = "apr_" + short_hash("approval", row.id)
        money = prepared.money
        uow.approvals.add(
            ApprovalRequest(
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
        waiting = ActionChanges(status="pending_approval", updated_at=utc_now_iso(), reason=reason, summary=summary)
        compare_and_set(uow, row.id, waiting, expect=row, answer=answer)
        self._audit_last(
            uow,
            answer,
            "approval_requested",
            conversation_id=row.conversation_id,
            action_id=row.id,
            data={
                "action": row.action,
                "approval_id": approval_id,
                "reason": reason,
                "quote": prepared.quote,
                **money_fields(prepared),
            },
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

    def _new_action(
        self,
        scope: Scope,
        action: str,
        args_json: str,
        kind: str,
        *,
        batch: TurnBatch | None = None,
        known: list[Action] | None = None,
    ) -> Action:
        """Insert the action row and its `proposal` audit record in one transaction (or buffer both).

        `known`: the conversation's actions as just read (with the batch's), to count identical
        ones without another read in the buffered path."""
        now = utc_now_iso()
        proposal = {"action": action, "arguments": json.loads(args_json), "customer": scope.customer_id}
        name = action[:64]

        def row(n: int) -> Action:
            action_id = ActionId("act_" + short_hash(scope.conversation_id, action, args_json, str(n)))
            return Action(
                action_id, scope.conversation_id, scope.customer_id, scope.channel, scope.actor, name, args_json,
                kind, "proposed", None, None, None, None, None, "", f"purser:{action_id}", now, now,
            )  # fmt: skip

        if batch is not None:
            if known is None:
                known = self._actions(scope.conversation_id, batch)
            n = sum(1 for a in known if a.action == name and a.arguments == args_json)
            new = row(n)
            batch.add_action(new)
            self.audit.buffer(
                "proposal",
                actor=model_actor(scope.actor),
                conversation_id=scope.conversation_id,
                action_id=new.id,
                data=proposal,
                batch=batch,
            )
            return new
        for attempt in range(ID_ATTEMPTS):
            try:
                with self.uow.write() as uow:
                    n = uow.actions.count_identical(scope.conversation_id, name, args_json)
                    new = row(n + attempt)
                    uow.actions.add([new])
                    self.audit.append(
                        "proposal",
                        actor=model_actor(scope.actor),
                        conversation_id=scope.conversation_id,
                        action_id=new.id,
                        data=proposal,
                        uow=uow,
                    )
                return new
            except Conflict:
                continue
        raise ActionIdExhausted("could not allocate an action id")

    @staticmethod
    def _open_identical(known: list[Action], action: str, args_json: str) -> Action | None:
        for row in known:
            if row.action == action and row.arguments == args_json and row.status == "needs_confirmation":
                return row
        return None

    def _row(self, action_id: str, batch: TurnBatch | None = None) -> Action | None:
        mine = batch.action(action_id) if batch is not None else None
        if mine is not None:
            return mine
        with self.uow.read() as uow:
            row = uow.actions.get(action_id)
        return batch.updated(row) if batch is not None and row is not None else row

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
        batch: TurnBatch | None = None,
        also: Callable[[UnitOfWork], None] | None = None,
        expect: Action | None = None,
        answer: Answer | None = None,
    ) -> Outcome:
        """Persist the outcome on the action row, audit it, and apply the repeated-failure rule.

        `also(uow)` runs in the same transaction as the outcome (a refund's ledger settlement), so a
        crash leaves either both or neither: never a settled ledger without its `result` record.

        `expect`: the row as this caller claimed it (an `executing` action): the outcome is recorded
        only while the row still has that status and `updated_at` (a compare-and-set); otherwise the
        transaction is rolled back, settlement included, and `Superseded` is raised.

        `answer`: the customer's answer this outcome follows from, recorded in the same transaction
        (`AlreadyAnswered` when the action was answered already; nothing is written then).
        """
        outcome = Outcome(action_id, action, status, summary, quote, result, reason, handoff_reason, approval_id)
        if batch is not None:
            assert also is None, "a buffered outcome cannot carry another write"
            row = self._row(action_id, batch)
            self._record_outcome(None, batch, row, outcome, final=final, prepared=prepared)
        else:
            with self.uow.write() as uow:
                if answer is not None:
                    record_answer(uow, answer)
                if also is not None:
                    also(uow)
                # The row as the caller holds it (its id, conversation and kind never change).
                row = expect if expect is not None and expect.id == action_id else uow.actions.get(action_id)
                self._record_outcome(
                    uow, None, row, outcome, final=final, prepared=prepared, expect=expect, answer=answer
                )
        if (
            row is not None
            and status in ("failed", "invalid")
            and "repeated_failure" in self.policy.escalation.triggers
        ):
            known = self._actions(row.conversation_id, batch)
            failures = sum(1 for a in known if a.status in ("failed", "invalid"))
            if failures == REPEATED_FAILURE_THRESHOLD:
                scope = Scope(row.conversation_id, CustomerId(row.customer_id), row.channel, row.actor)
                handoff = self.escalate(
                    scope, "repeated_failure", f"{failures} actions failed in this conversation.", batch=batch
                )
                return replace(
                    outcome, result={**(result or {}), **(handoff.result or {})}, handoff_reason="repeated_failure"
                )
        return outcome

    def _record_outcome(
        self,
        uow: UnitOfWork | None,
        batch: TurnBatch | None,
        row: Action | None,
        outcome: Outcome,
        *,
        final: bool,
        prepared: Prepared | None,
        expect: Action | None = None,
        answer: Answer | None = None,
    ) -> None:
        """`outcome`'s row update and audit record, into `uow` (written) or `batch` (buffered);
        `Superseded` when `expect` no longer matches the row (see `_finish`)."""
        action_id, status, result = outcome.action_id, outcome.status, outcome.result
        stored_result = None if (row is not None and row.kind == "read") else result
        changes = ActionChanges(
            status=status,
            updated_at=utc_now_iso(),
            reason=outcome.reason,
            summary=outcome.summary,
            result=canonical_json(stored_result) if stored_result is not None else None,
        )
        if prepared is not None:  # a fresh quote: what the customer's "yes" will bind to
            changes = replace(
                changes,
                quote=canonical_json(prepared.quote),
                quote_hash=quote_hash(prepared.quote),
                plan=canonical_json({**prepared.plan, "_fixed": prepared.fixed}),
            )
        kind = "result" if final and status in ("succeeded", "failed", "declined", "denied") else "guard_decision"
        data = {
            "action": outcome.action,
            "status": status,
            "reason": outcome.reason,
            "summary": outcome.summary,
            "quote": outcome.quote,
            "result": stored_result,
            "handoff_reason": outcome.handoff_reason,
        }
        conversation_id = row.conversation_id if row else None
        if batch is not None:
            batch.update_action(action_id, changes)
            self.audit.buffer(
                kind, actor=SYSTEM, conversation_id=conversation_id, action_id=action_id, data=data, batch=batch
            )
            return
        assert uow is not None
        compare_and_set(uow, action_id, changes, expect=expect, answer=answer)
        self._audit_last(uow, answer, kind, conversation_id=conversation_id, action_id=action_id, data=data)

    def _audit_last(
        self,
        uow: UnitOfWork,
        answer: Answer | None,
        kind: str,
        *,
        conversation_id: str | None,
        action_id: str,
        data: dict[str, Any],
    ) -> None:
        """The gateway's audit record of a write, as the transaction's last statements (the chain's lock is
        then held only until the commit); after the answer's `confirmation` record when there is one,
        both appended at once (one lock, one read of the chain's head, one insert)."""
        if answer is None:
            self.audit.append(
                kind, actor=SYSTEM, conversation_id=conversation_id, action_id=action_id, data=data, uow=uow
            )
            return
        record = draft(kind, actor=SYSTEM, data=data, conversation_id=conversation_id, action_id=action_id)
        uow.audit.append([answer.record, record])


def load_json(text: str | None) -> dict[str, Any] | None:
    """Parse a stored JSON column (None stays None)."""
    return json.loads(text) if text else None


def money_fields(prepared: Prepared) -> dict[str, Any]:
    """{"amount", "currency"} of the money a prepared action moves, for audit records."""
    if prepared.money is None:
        return {}
    return {"amount": prepared.money.amount_str(), "currency": prepared.money.currency}


def ago(delta: timedelta) -> str:
    """The wall-clock time `delta` ago, as stored in `updated_at`."""
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


__all__ = [
    "SYSTEM",
    "ActionIdExhausted",
    "ActionRecords",
    "AlreadyAnswered",
    "Answer",
    "Superseded",
    "ago",
    "compare_and_set",
    "load_json",
    "model_actor",
    "money_fields",
    "record_answer",
    "view",
]
