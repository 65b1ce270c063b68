"""`POST /webhooks/stripe`: Stripe's events, verified with `STRIPE_WEBHOOK_SECRET`, handled once per event id.

The route verifies the signature and enqueues a `stripe.event` job keyed by the event id (a repeated
delivery enqueues nothing: `duplicate`), then tries to run that job at once so the answer can say what
it did; when it cannot (another worker holds it, or it failed and will be retried) the job stays
queued for the workers and the answer says `queued`.

A dispute opened on a charge puts refunds of that charge on hold and files a handoff for the
team (an audit record of kind `handoff` with the summary), because no conversation carries it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from purser.web.app import state_of
from purser.web.errors import NotFoundError

if TYPE_CHECKING:
    from purser.jobs.queue import HueyJobQueue
    from purser.processors.stripe.webhooks import WebhookHandler

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/stripe", summary="Receive Stripe webhook events (signed)")
async def stripe_webhook(request: Request) -> dict[str, Any]:
    """Verify the `Stripe-Signature`, ignore repeated event ids, act on the event (as a job)."""
    from purser.jobs.stripe_events import EVENT_KIND
    from purser.processors.stripe.webhooks import WebhookHandler

    state = state_of(request)
    container = state.container
    secret = container.settings.stripe_webhook_secret
    if not secret:
        raise NotFoundError("Stripe webhooks are not configured (set STRIPE_WEBHOOK_SECRET)")
    payload = await request.body()
    if container.jobs is not None and container.jobs.has(EVENT_KIND):
        return await run_in_threadpool(_enqueue, container.jobs, WebhookHandler(container.db, secret), payload, request)
    result = WebhookHandler(container.db, secret).handle(payload, request.headers.get("stripe-signature"))
    for escalation in result.escalations:
        container.audit.append(
            "handoff",
            actor="system:stripe-webhook",
            data={"reason": escalation["reason"], "summary": escalation["summary"], "event": result.event_id},
        )
    return {
        "received": result.event_id,
        "type": result.type,
        "duplicate": result.duplicate,
        "actions": result.actions,
    }


def _enqueue(queue: HueyJobQueue, webhooks: WebhookHandler, payload: bytes, request: Request) -> dict[str, Any]:
    from purser.jobs.stripe_events import EVENT_KIND, event_key
    from purser.processors.stripe.webhooks import verify

    event = verify(payload, request.headers.get("stripe-signature"), webhooks.secret)
    key = event_key(str(event["id"]))
    fresh = queue.enqueue(EVENT_KIND, {"event": json.dumps(event, sort_keys=True)}, key=key)
    if fresh:
        queue.run(key)
    outcome = webhooks.outcome(str(event["id"]))
    return {
        "received": event["id"],
        "type": event["type"],
        "duplicate": not fresh,
        "queued": outcome is None,
        "actions": (outcome or {}).get("actions", []) if fresh else [],
    }


__all__ = [
    "stripe_webhook",
]
