"""Stripe webhook events as jobs: `POST /webhooks/stripe` verifies and enqueues, the `stripe.event` job acts.

The job's key is `stripe.event:{event id}`: a delivery repeated by Stripe (or two deliveries racing)
enqueues nothing new. The handler applies the event (`WebhookHandler.process`) and marks the job done
in the same transaction, so a worker killed mid-way either did both or neither. Escalations (a
dispute) are appended to the audit log after that commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from purser.audit.log import AuditLog
from purser.jobs.queue import HueyJobQueue
from purser.ports.jobs import JobContext, Payload
from purser.processors.stripe.webhooks import WebhookHandler, WebhookResult
from purser.store.db import Database
from purser.store.jobs import finish_in

__all__ = ["EVENT_KIND", "event_key", "register_stripe_events"]

EVENT_KIND = "stripe.event"
"""The job kind that handles one verified Stripe event."""


def event_key(event_id: str) -> str:
    """The job key of a Stripe event."""
    return f"{EVENT_KIND}:{event_id}"


def register_stripe_events(
    queue: HueyJobQueue,
    db: Database,
    secret: str,
    audit: AuditLog,
    *,
    then: Callable[[dict[str, Any]], object] | None = None,
) -> WebhookHandler:
    """Register the `stripe.event` handler on `queue`; returns the webhook handler (the route verifies with it).

    `then(event)` runs after the event is recorded, on every delivery (dunning enqueues its own job there,
    keyed by the event id, so a repeat adds nothing)."""
    webhooks = WebhookHandler(db, secret)

    def handle(payload: Payload, context: JobContext) -> None:
        event: dict[str, Any] = json.loads(str(payload.get("event") or "{}"))
        result: WebhookResult = webhooks.process(
            event, within=lambda conn: finish_in(conn, context.key, context.attempt)
        )
        for escalation in result.escalations:
            audit.append(
                "handoff",
                actor="system:stripe-webhook",
                data={"reason": escalation["reason"], "summary": escalation["summary"], "event": result.event_id},
            )
        if then is not None:  # also on a duplicate: its hand-over may be what a crash cut short (keyed, so once)
            then(event)

    queue.register(EVENT_KIND, handle, retries=8, retry_delay_seconds=10)
    return webhooks
