"""The admin API under `/api/admin/`: a person's bearer token, PURSER_ADMIN_TOKEN (the bootstrap admin) or a
dashboard session with its CSRF token (`purser.web.people`). viewer reads; agent also replies in handed-off
conversations; approver also decides approvals (up to their limit); admin everything. The audit actor of a
decision or a reply is the authenticated person, never a name in the body.

Approvals (list, decide: the conversation resumes through `Runtime.decide_approval`
and the outcome reaches the customer's open widget), handoffs and a teammate's reply in
a handed-off conversation (delivered live like an approval outcome) or its release, conversations with
transcripts, tool calls and guard decisions, the audit log (list and verify),
metrics and the policy in force.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from purser.people import Principal
from purser.web import conversations as conv
from purser.web.app import WebState, state_of
from purser.web.errors import NotFoundError
from purser.web.inbox import assignment_of, conversation_rows
from purser.web.metrics import metrics
from purser.web.people import authenticated, require
from purser.web.schemas import (
    ID_PATTERN,
    Decision,
    DecisionResponse,
    HumanReplyBody,
    HumanReplyResponse,
    ReleaseResponse,
    error_responses,
)

_bearer = HTTPBearer(auto_error=False, description="A person's API token, or PURSER_ADMIN_TOKEN")


async def require_admin(
    principal: Annotated[Principal, Depends(require("read"))],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller (any role reads); the header itself is checked by `purser.web.people`."""
    del credentials  # declared for the OpenAPI security scheme
    return principal


router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(401, 422, 429),
)

ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="The conversation id.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]


@router.get("/session", summary="Check the credentials")
def session(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, Any]:
    """200 when the token or session is right, with who it is."""
    return {"ok": True, "name": principal.name, "role": principal.role}


@router.get("/approvals", summary="Approval requests")
async def approvals(
    request: Request,
    status: Annotated[Literal["pending", "approved", "denied"] | None, Query(description="Filter")] = None,
) -> dict[str, Any]:
    """Approval requests, pending first."""
    state = state_of(request)
    items = await run_in_threadpool(_approvals, state, status)
    return {"approvals": items}


def _decide(state: WebState, approval_id: str, body: Decision, approver: Principal) -> dict[str, Any]:
    if conv.approval_conversation(state.container, approval_id) is None:
        raise NotFoundError(f"no approval request {approval_id!r}")
    conversation_id, events = state.container.runtime.decide_approval(
        approval_id,
        approve=body.decision == "approve",
        approver=approver.name,
        reason=body.reason,
    )
    # The runtime persisted the resumed turn and published it: open widgets get it over their stream.
    payload = conv.serialize_events(events)
    request = state.container.gateway.approval(approval_id)
    return {
        "approval_id": approval_id,
        "conversation_id": conversation_id,
        "events": payload,
        "status": request.status if request is not None else None,
        "signers": list(_signers(state, approval_id)),
    }


def _signers(state: WebState, approval_id: str) -> tuple[str, ...]:
    rules = state.container.gateway.approval_rules
    return rules.signatures.signers(approval_id) if rules is not None else ()


def _approvals(state: WebState, status: str | None) -> list[dict[str, Any]]:
    items = conv.approvals_json(state.container, status=status)
    for item in items:
        # A two-person approval shows who has signed so far (the request stays pending until the second).
        item["signers"] = list(_signers(state, str(item["id"]))) if item.get("status") == "pending" else []
    return items


@router.post(
    "/approvals/{approval_id}",
    response_model=DecisionResponse,
    summary="Approve or deny; the conversation resumes",
    responses=error_responses(404, 409),
)
async def decide(
    request: Request,
    approval_id: Annotated[str, Path(pattern=ID_PATTERN, description="The approval request id.")],
    body: Decision,
    approver: Annotated[Principal, Depends(require("approve"))],
) -> dict[str, Any]:
    """Decide an approval request as the authenticated person (`human:<name>`); the outcome is delivered in
    the customer's conversation. 403 above the approver's limit; above `policy.approvals.two_person_above`
    the first approval is recorded (the request stays pending, `signers` lists it) and a second, different
    approver completes it (the same person twice: 409)."""
    state = state_of(request)
    return await run_in_threadpool(_decide, state, approval_id, body, approver)


@router.get("/handoffs", summary="Conversations handed to a human")
async def handoffs(request: Request, limit: Limit = 100) -> dict[str, Any]:
    """Handoffs with the summary for the human, newest first."""
    state = state_of(request)
    return {"handoffs": await run_in_threadpool(conv.handoffs, state.container, limit=limit)}


@router.get("/conversations", summary="Conversations")
async def conversations(
    request: Request,
    reader: Annotated[Principal, Depends(require_admin)],
    limit: Limit = 50,
    offset: Offset = 0,
    q: Annotated[
        str | None, Query(max_length=200, description="Search: conversation or customer id, name, email, last reply")
    ] = None,
) -> dict[str, Any]:
    """Conversations, most recently active first, with the customer's name and email, status, assignee, a
    preview of the last reply and whether the caller has seen the latest (`purser.web.inbox.conversation_rows`)."""
    state = state_of(request)
    rows = await run_in_threadpool(
        lambda: conversation_rows(state.container, reader=reader.name, limit=limit, offset=offset, q=q)
    )
    return {"conversations": rows}


def _conversation(state: WebState, conversation_id: str) -> dict[str, Any]:
    info = conv.conversation_info(state.container, conversation_id)
    usage: Any
    try:
        usage = conv.jsonable(state.container.runtime.usage(conversation_id))
    except Exception:  # usage is informative; a conversation without it still shows
        usage = None
    return {
        **info,
        "transcript": conv.transcript_entries(state.container, conversation_id),
        "tool_calls": conv.tool_calls(state.container, conversation_id),
        "audit": conv.guard_decisions(state.container, conversation_id),
        "usage": usage,
        "assignment": assignment_of(state.container, conversation_id),
    }


@router.get("/conversations/{conversation_id}", summary="A conversation in full", responses=error_responses(404))
async def conversation(request: Request, conversation_id: ConversationId) -> dict[str, Any]:
    """Transcript, tool calls (with outcomes), guard decisions and audit records, usage, and who works it
    (`assignment`: assignee, resolved_by/at; null when nobody took it)."""
    state = state_of(request)
    return await run_in_threadpool(_conversation, state, conversation_id)


@router.post(
    "/conversations/{conversation_id}/reply",
    response_model=HumanReplyResponse,
    summary="A teammate answers the customer in a handed-off conversation",
    responses=error_responses(404, 409),
)
async def human_reply(
    request: Request,
    conversation_id: ConversationId,
    body: HumanReplyBody,
    approver: Annotated[Principal, Depends(require("reply"))],
) -> dict[str, Any]:
    """Append a `message` event written by a human (transcript role `human`), audit it (`human_reply`)
    and deliver it to the customer's open widget. 409 when the agent still owns the conversation."""
    state = state_of(request)
    done = await state.container.runtime.ahuman_reply(conversation_id, body.text, author=_author(approver, body.author))
    return {
        "conversation_id": done.conversation_id,
        "seq": done.seq,
        "turn": done.turn,
        "role": "human",
        "author": done.author,
        "event": done.event.model_dump(mode="json"),
    }


@router.post(
    "/conversations/{conversation_id}/release",
    response_model=ReleaseResponse,
    summary="Hand a handed-off conversation back to the agent",
    responses=error_responses(404, 409),
)
async def release(
    request: Request, conversation_id: ConversationId, approver: Annotated[Principal, Depends(require("reply"))]
) -> dict[str, Any]:
    """The agent answers the customer's next message again (status `open`); audited as `human_release`."""
    state = state_of(request)
    status = await state.container.runtime.arelease(conversation_id, author=approver.name)
    return {"conversation_id": conversation_id, "status": status}


def _author(principal: Principal, named: str | None) -> str:
    # A person replies as themselves; only the shared bootstrap token may name who is typing.
    if principal.person is not None:
        return principal.name
    return named or principal.name


def _audit(state: WebState, limit: int, offset: int, conversation_id: str | None) -> dict[str, Any]:
    records = list(state.container.audit.records(conversation_id=conversation_id))
    total = len(records)
    newest_first = records[::-1][offset : offset + limit]
    return {"total": total, "records": [r.to_json() for r in newest_first]}


@router.get("/audit", summary="The audit log, newest first")
async def audit(
    request: Request,
    limit: Limit = 100,
    offset: Offset = 0,
    conversation_id: Annotated[str | None, Query(pattern=ID_PATTERN, description="Only this conversation")] = None,
) -> dict[str, Any]:
    """Hash-chained audit records."""
    state = state_of(request)
    return await run_in_threadpool(_audit, state, limit, offset, conversation_id)


@router.post("/audit/verify", summary="Verify the hash chain")
async def audit_verify(request: Request) -> dict[str, Any]:
    """Walk the chain; report the first broken record."""
    state = state_of(request)
    result = await run_in_threadpool(state.container.audit.verify)
    return conv.jsonable(result)  # type: ignore[no-any-return]


@router.get("/metrics", summary="Automation, refunds against caps, cost, latency")
async def get_metrics(request: Request) -> dict[str, Any]:
    """What the dashboard charts."""
    state = state_of(request)
    return await run_in_threadpool(metrics, state.container, state.latencies)


@router.get("/dunning", summary="Dunning: cases, recovered revenue, recovery rate, time to recovery")
async def dunning(request: Request) -> dict[str, Any]:
    """Open / recovered / lost / canceled cases, recovered revenue per currency, the recovery rate and the
    median time to recovery (DESIGN §10)."""
    from purser.app import build_dunning_stats

    return await run_in_threadpool(build_dunning_stats, state_of(request).container.db)


@router.get("/jobs", summary="Jobs and email delivery: counts, dead jobs, emails not delivered yet")
async def jobs(request: Request, limit: Limit = 50) -> dict[str, Any]:
    """Jobs by status and the dead ones; emails by status and those still waiting, with their last error
    and next attempt (an SMTP server that is down shows here; docs/JOBS.md)."""
    from purser.jobs.report import queue_report

    container = state_of(request).container
    if container.jobs is None or container.outbox is None:
        raise NotFoundError("no job queue is wired in this process")
    return await run_in_threadpool(queue_report, container.jobs, container.outbox, limit=limit)


@router.get("/policy", summary="The policy in force")
def policy(request: Request) -> dict[str, Any]:
    """The policy, whether write actions are on, and the knowledge-base lint at start-up."""
    state = state_of(request)
    return {
        "policy": state.container.policy.model_dump(mode="json"),
        "writes_enabled": state.options.writes_enabled,
        "identity_verification": state.identity.enabled,
        "kb_lint": list(state.options.kb_lint),
    }


__all__ = ["require_admin", "router"]
