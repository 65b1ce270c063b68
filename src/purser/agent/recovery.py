"""Self-healing (DESIGN §11): actions a crash interrupted are settled within a minute, and the customer hears.

A server killed between a customer's confirmation and the processor's answer leaves the action
`confirmed` (nothing reserved, nothing sent) or `executing` (committed, the processor maybe called).
The `actions.recover` job runs every `RECOVER_EVERY` on the job queue (one job per time slot, whoever
seeds it, so any number of workers run each slot once) and hands every action untouched for
`STALE_AFTER` to `Gateway.recover`: an `executing` one is executed again with its idempotency key (the
processor answers with the first result if the write happened, so nothing is done twice), which
settles its refund reservation in the same transaction as its result; a `confirmed` one is refused as
interrupted. The outcome is then appended to the customer's conversation as an `action_result` event
and published, so the customer's widget or channel shows what became of their request.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from purser.agent.appended import append_events
from purser.agent.events import ActionResult, AgentEvent
from purser.agent.live import loop_runner
from purser.ports.conversations import ConversationNotFound
from purser.ports.jobs import JobContext, JobQueue, Payload, continue_recurring, schedule_recurring

if TYPE_CHECKING:
    from purser.actions.gateway import Gateway
    from purser.actions.outcome import Outcome
    from purser.agent.runtime import Runtime

__all__ = ["RECOVER_EVERY", "RECOVER_KIND", "STALE_AFTER", "recover_and_tell", "register_recovery", "schedule_recovery"]

log = logging.getLogger("purser.recovery")

RECOVER_KIND = "actions.recover"
RECOVER_EVERY = timedelta(seconds=15)
"""How often interrupted actions are looked for (with `STALE_AFTER`, each is settled within a minute)."""
STALE_AFTER = timedelta(seconds=40)
"""An action untouched this long in `confirmed`/`executing` was interrupted (a turn takes milliseconds).
Keep it longer than the processor's usual slowest call: a recovery that re-runs an action still in
flight elsewhere is safe (same idempotency key; the claim is a compare-and-set, so only one of the two
records the outcome and is reported) but makes a second processor request (docs/GATEWAY.md)."""


def schedule_recovery(queue: JobQueue, *, now: datetime | None = None, every: timedelta = RECOVER_EVERY) -> bool:
    """Enqueue the recovery of the next slot after `now` (wall clock); False when it is enqueued already."""
    return schedule_recurring(queue, RECOVER_KIND, every=every, now=now)


def register_recovery(
    queue: JobQueue,
    gateway: Gateway,
    runtime: Runtime,
    *,
    every: timedelta = RECOVER_EVERY,
    stale_after: timedelta = STALE_AFTER,
) -> None:
    """Register `actions.recover` (at bootstrap, before workers start); each run schedules the next slot."""

    def recover(_payload: Payload, context: JobContext) -> None:
        continue_recurring(queue, context, every=every)  # first: a failing run must not stop the chain
        recover_and_tell(gateway, runtime, stale_after=stale_after)

    queue.register(RECOVER_KIND, recover, retries=2, retry_delay_seconds=10)


def recover_and_tell(gateway: Gateway, runtime: Runtime, *, stale_after: timedelta = STALE_AFTER) -> list[Outcome]:
    """Settle interrupted actions and tell each customer in their conversation; returns the outcomes."""
    outcomes = gateway.recover(stale_after=stale_after)
    for outcome in outcomes:
        with gateway.uow.read() as uow:
            row = uow.actions.get(outcome.action_id)
        if row is None:
            continue
        status = outcome.status if outcome.status in ("succeeded", "failed") else "refused"
        event = ActionResult(action_id=outcome.action_id, status=status, summary=_summary(outcome))
        try:
            loop_runner().run(tell(runtime, row.conversation_id, [event]))
        except ConversationNotFound:
            log.warning("recovery: conversation of action %s is gone; the outcome stays on the action", row.id)
    if outcomes:
        log.info("recovery: %d interrupted action(s) settled", len(outcomes))
    return outcomes


def _summary(outcome: Outcome) -> str:
    if outcome.status == "succeeded":
        return f"{outcome.summary} (This was interrupted earlier and has now gone through.)"
    if outcome.reason == "interrupted":
        return "Your last request was interrupted before anything was done. Nothing changed; please ask again."
    return outcome.summary


async def tell(runtime: Runtime, conversation_id: str, events: list[AgentEvent]) -> None:
    """Append agent events to a conversation outside a customer's turn (audited) and publish them live."""
    dumped = [e.model_dump(mode="json") for e in events]
    await append_events(
        runtime,
        conversation_id,
        events,
        role="agent",
        kind="recovery_notice",
        actor="system:recovery",
        data=lambda turn, _seq: {"turn": turn, "events": dumped},
    )
