"""`POST /webhooks/stripe`: Stripe's events, verified with `STRIPE_WEBHOOK_SECRET`, handled once per event id.

A dispute opened on a charge puts refunds of that charge on hold and files a handoff for the
team (an audit record of kind `handoff` with the summary), because no conversation carries it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from purser.web.app import state_of
from purser.web.errors import NotFoundError

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/stripe", summary="Receive Stripe webhook events (signed)")
async def stripe_webhook(request: Request) -> dict[str, Any]:
    """Verify the `Stripe-Signature`, ignore repeated event ids, act on the event."""
    from purser.processors.stripe.webhooks import WebhookHandler

    state = state_of(request)
    container = state.container
    secret = container.settings.stripe_webhook_secret
    if not secret:
        raise NotFoundError("Stripe webhooks are not configured (set STRIPE_WEBHOOK_SECRET)")
    payload = await request.body()
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


__all__ = [
    "stripe_webhook",
]
