"""The handoff summary: who, what they asked, what was done, amounts, what is left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from purser.policy.escalation import handoff_summary
from purser.processors import ProcessorError

if TYPE_CHECKING:
    from purser.actions.execution import Execution
    from purser.actions.outcome import Scope
    from purser.ports.unit_of_work import TurnBatch

_DONE = ("succeeded", "failed", "declined", "denied")
_OPEN = ("needs_confirmation", "pending_approval", "executing", "confirmed")


def build_handoff_summary(
    gateway: Execution, scope: Scope, reason: str, asked: str, *, batch: TurnBatch | None = None
) -> str:
    """A summary a human can act on without reading the transcript (`batch`: a turn's unwritten
    proposals count as done)."""
    who = str(scope.customer_id)
    plan = ""
    try:
        snap = gateway.processor.snapshot(scope.customer_id)
        who = f"{snap.customer.name} <{snap.customer.email}> ({snap.customer.id})"
        if snap.subscription is not None and snap.plan is not None:
            plan = f"; {snap.plan.name} ({snap.plan.id}) x{snap.subscription.quantity}, {snap.subscription.status}"
    except ProcessorError:
        pass
    done: list[str] = []
    amounts: list[str] = []
    left: list[str] = []
    for act in gateway.actions(scope.conversation_id, batch=batch):
        if act["action"] in ("lookup_account", "handoff"):
            continue
        quote = act["quote"] or {}
        amount = quote.get("amount") or quote.get("amount_due_now")
        money = f" {amount} {str(quote.get('currency', '')).upper()}".rstrip() if amount else ""
        line = f"{act['action']}{money}: {act['status']}" + (f" ({act['reason']})" if act["reason"] else "")
        if act["status"] in _DONE:
            done.append(line)
            if money and act["status"] == "succeeded":
                amounts.append(f"{act['action']}{money}")
        elif act["status"] in _OPEN:
            left.append(line)
    left_text = "; ".join(left) if left else f"decide how to resolve the {reason.replace('_', ' ')}"
    return handoff_summary(reason=reason, customer=who + plan, asked=asked, done=done, amounts=amounts, left=left_text)


__all__ = ["build_handoff_summary"]
