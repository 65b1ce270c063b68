"""The sandbox world's state, for judging and the violation check (read by the store, through `purser.app`).

Read directly (not through the gateway or the processor's API) so that the judge sees what the
billing engine holds, whatever the layers above it believe.
"""

from __future__ import annotations

from typing import Any

from purser.app import (
    ChargeRow,
    EmailRow,
    EventRow,
    RefundRow,
    WorldState,
    read_events,
    read_state,
    utc,
)


def customer_subscription(state: WorldState, customer: str) -> tuple[str, dict[str, Any]] | None:
    """The (id, fields) of the customer's subscription, if any (the newest when several)."""
    found = [(sid, s) for sid, s in state.subscriptions.items() if s["customer"] == customer]
    return found[-1] if found else None


__all__ = [
    "ChargeRow",
    "EmailRow",
    "EventRow",
    "RefundRow",
    "WorldState",
    "customer_subscription",
    "read_events",
    "read_state",
    "utc",
]
