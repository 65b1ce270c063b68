"""The demo API behind the page at `/`: pick a seeded customer, watch the account change.

Only served while identity verification is off (no `PURSER_IDENTITY_SECRET`):
with a secret configured these endpoints answer 404, because they would let any
visitor read any customer's account.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from purser.domain import CustomerId
from purser.domain.serialize import snapshot_json
from purser.web.app import WebState, state_of
from purser.web.errors import NotFoundError
from purser.web.schemas import ID_PATTERN, error_responses

router = APIRouter(prefix="/api/demo", tags=["demo"])


def _demo_only(state: WebState) -> None:
    if state.identity.enabled:
        raise NotFoundError("the demo API is off while identity verification is on")


@router.get("/customers", summary="Demo customers to pick from", responses=error_responses(404, 422, 429))
async def customers(
    request: Request, limit: Annotated[int, Query(ge=1, le=500, description="How many")] = 100
) -> dict[str, Any]:
    """The processor's customers (demo mode only)."""
    state = state_of(request)
    _demo_only(state)
    found = await run_in_threadpool(state.container.processor.list_customers, limit)
    return {"customers": [{"id": c.id, "name": c.name, "email": c.email} for c in found]}


@router.get(
    "/customers/{customer_id}", summary="A demo customer's account snapshot", responses=error_responses(404, 422, 429)
)
async def customer(
    request: Request, customer_id: Annotated[str, Path(pattern=ID_PATTERN, description="Customer id")]
) -> dict[str, Any]:
    """The account as the agent's `lookup_account` sees it (demo mode only)."""
    state = state_of(request)
    _demo_only(state)
    snapshot = await run_in_threadpool(state.container.processor.snapshot, CustomerId(customer_id))
    return snapshot_json(snapshot, "agent")


__all__ = ["router"]
