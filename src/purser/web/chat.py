"""The customer chat API (DESIGN §8) and the live stream.

    POST /api/conversations                  {"customer_id", "channel"} -> {"id"}
    POST /api/conversations/{id}/events      one customer event (§7)    -> {"events": [...]}
    GET  /api/conversations/{id}             the transcript
    POST /api/conversations/{id}/stream-token  -> {"token", "expires_in"}: opens the stream for 5 minutes
    GET  /api/conversations/{id}/stream      Server-Sent Events: agent events delivered later
    POST /api/conversations/{id}/rating      {"rating": "up" | "down", "comment"?} -> {"rating", "comment"}

With identity verification on, every call carries `X-Purser-User-Hash` for the
conversation's customer. The stream, opened by `EventSource` (which cannot set
headers), takes a short-lived stream token as `?token=` instead: the user hash never
goes in a URL, where access logs and proxies would keep a credential that never expires.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from purser.agent.events import CustomerConfirm, CustomerEvent, CustomerMessage
from purser.agent.runtime import RuntimeInputError
from purser.ports.conversations import ConversationRecord
from purser.web.app import WebState, state_of
from purser.web.conversations import conversation_info, events_body, transcript_entries
from purser.web.errors import BadRequest, NotFoundError, RateLimited, WebError
from purser.web.lean import LeanRoute
from purser.web.live import stream_turns, transcript_position
from purser.web.schemas import (
    ID_PATTERN,
    ConversationCreated,
    CreateConversation,
    TranscriptResponse,
    TurnResponse,
    error_responses,
)
from purser.web.security import STREAM_TOKEN_SECONDS, USER_HASH_HEADER

# The customer API's routes take the short path of `LeanRoute` for ordinary requests (a turn is the
# server's hottest request); validation errors and the OpenAPI document stay FastAPI's.
T = TypeVar("T")

router = APIRouter(prefix="/api/conversations", tags=["chat"], route_class=LeanRoute)

ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="The conversation id.")]
UserHash = Annotated[
    str | None,
    Header(alias=USER_HASH_HEADER, max_length=200, description="hex HMAC-SHA256(identity secret, customer_id)"),
]


async def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on a worker thread of the event loop's executor, in a copy of the caller's context.

    What `run_in_threadpool` does, by the loop's own executor: anyio's capacity limiter, cancel scope
    and worker bookkeeping cost about as much again as the hop itself (creating a conversation is a
    hot request: one per two or three turns)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(context.run, fn, *args))


def _authorize(state: WebState, conversation_id: str, presented: str | None) -> dict[str, Any]:
    info = conversation_info(state.container, conversation_id)
    state.identity.verify(str(info["customer_id"]), presented)
    return info


@router.post(
    "",
    response_model=ConversationCreated,
    summary="Start a conversation",
    responses=error_responses(401, 404, 413, 422, 429),
)
async def create_conversation(request: Request, body: CreateConversation, user_hash: UserHash = None) -> Response:
    """Start a conversation for `customer_id` (verified by `X-Purser-User-Hash` when identity is on)."""
    state = state_of(request)
    state.identity.verify(body.customer_id, user_hash)
    state.create_buckets.check(body.customer_id, "customer")
    try:
        conversation_id = await _in_thread(state.container.runtime.start, body.customer_id, body.channel)
    except RuntimeInputError as exc:  # the only refusal of start(): the processor does not know the customer
        raise NotFoundError(str(exc)) from None
    return JSONResponse({"id": conversation_id})


@router.post(
    "/{conversation_id}/events",
    response_model=TurnResponse,
    summary="Send one customer event; get the agent's events for that turn",
    responses=error_responses(401, 404, 409, 413, 422, 429),
)
async def post_event(
    request: Request,
    conversation_id: ConversationId,
    event: Annotated[CustomerEvent, Body(description="A customer event (DESIGN §7).")],
    user_hash: UserHash = None,
) -> Response:
    """Run one turn: a message, or the answer to a confirmation request (a button, never free text)."""
    state = state_of(request)
    if not isinstance(event, CustomerMessage | CustomerConfirm):  # pragma: no cover - the body schema forbids it
        raise BadRequest("unknown event type")

    def check(record: ConversationRecord) -> None:
        # Runs on the turn's own read (no read of its own): identity, then the rate limit, then the body.
        state.identity.verify(record.customer_id, user_hash)
        state.conversation_buckets.check(conversation_id, "conversation")
        if isinstance(event, CustomerMessage) and not event.text.strip():
            raise BadRequest("text must not be blank")

    # The turn's latency row is written in the turn's own transaction (`measure=True`).
    events = await state.container.runtime.ahandle(conversation_id, event, check=check, measure=True)
    # The events are typed already (§7 models): encoded once here, straight to JSON bytes, not validated
    # again against `TurnResponse` nor dumped to dicts for `json.dumps` (the declared model still
    # documents the body).
    return Response(events_body(events), media_type="application/json")


@router.get(
    "/{conversation_id}",
    response_model=TranscriptResponse,
    summary="The conversation's transcript",
    responses=error_responses(401, 404, 422, 429),
)
async def get_transcript(
    request: Request, conversation_id: ConversationId, user_hash: UserHash = None
) -> dict[str, Any]:
    """Every customer and agent event of the conversation, oldest first."""
    state = state_of(request)
    info = await run_in_threadpool(_authorize, state, conversation_id, user_hash)
    entries = await run_in_threadpool(transcript_entries, state.container, conversation_id)
    return {
        "id": conversation_id,
        "customer_id": info["customer_id"],
        "channel": info.get("channel"),
        "entries": entries,
    }


@router.post(
    "/{conversation_id}/stream-token",
    summary="A short-lived token for the live stream's URL",
    responses=error_responses(401, 404, 422, 429),
)
async def stream_token(request: Request, conversation_id: ConversationId, user_hash: UserHash = None) -> dict[str, Any]:
    """Trade the `X-Purser-User-Hash` header for a token that opens this conversation's stream for five
    minutes (null in demo mode, where the stream needs none)."""
    state = state_of(request)
    info = await run_in_threadpool(_authorize, state, conversation_id, user_hash)
    token = state.identity.stream_token(str(info["customer_id"]), conversation_id)
    return {"token": token, "expires_in": STREAM_TOKEN_SECONDS if token else None}


def _authorize_stream(state: WebState, conversation_id: str, header_hash: str | None, token: str | None) -> None:
    info = conversation_info(state.container, conversation_id)
    customer_id = str(info["customer_id"])
    if header_hash:  # a client that can send headers (not EventSource) may still use the hash itself
        state.identity.verify(customer_id, header_hash)
    else:
        state.identity.verify_stream_token(customer_id, conversation_id, token)


@router.get(
    "/{conversation_id}/stream",
    summary="Live agent events (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`agent_events` messages: {source, events}"},
        **error_responses(401, 404, 422, 429),
    },
)
async def stream(
    request: Request,
    conversation_id: ConversationId,
    token: Annotated[str | None, Query(max_length=200, description="Stream token (POST .../stream-token)")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Resume after this batch id")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=40)] = None,
    header_hash: UserHash = None,
) -> EventSourceResponse:
    """Agent events that reach the conversation outside the customer's own turns (approval outcomes).

    Starts after `after` / `Last-Event-ID`, or, when neither is given, with what arrives from now on.
    """
    state = state_of(request)
    await run_in_threadpool(_authorize_stream, state, conversation_id, header_hash, token)
    cursor = after
    if last_event_id is not None and last_event_id.strip().isdigit():
        cursor = int(last_event_id.strip())
    if cursor is None:
        cursor = await run_in_threadpool(transcript_position, state.container.runtime.store, conversation_id)
    if state.open_streams.get(conversation_id, 0) >= state.options.max_streams_per_conversation:
        raise RateLimited(
            f"this conversation already has {state.options.max_streams_per_conversation} open streams",
            headers={"Retry-After": "5"},
        )
    state.open_streams[conversation_id] = state.open_streams.get(conversation_id, 0) + 1
    messages = stream_turns(
        state.container.runtime.store,
        state.container.runtime.subscribe,
        conversation_id,
        cursor,
        poll_seconds=state.options.stream_poll_seconds,
    )
    return EventSourceResponse(
        _counted(state, conversation_id, messages),
        ping=None,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _counted(
    state: WebState, conversation_id: str, messages: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    # The count is kept on the event loop only (no thread touches it), so no lock is needed.
    try:
        async for message in messages:
            yield message
    finally:
        left = state.open_streams.get(conversation_id, 1) - 1
        if left > 0:
            state.open_streams[conversation_id] = left
        else:
            state.open_streams.pop(conversation_id, None)


class Rating(BaseModel):
    """The customer's rating of a conversation: thumbs up or down, and an optional comment."""

    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"] = Field(description="up (helpful) or down (not helpful).")
    comment: str = Field("", max_length=1000, description="What the customer wants to add, if anything.")


@router.post(
    "/{conversation_id}/rating",
    summary="Rate the conversation (once): 👍/👎 and an optional comment, kept as an audit record",
    responses=error_responses(401, 404, 409, 422, 429),
)
async def rate(request: Request, conversation_id: ConversationId, body: Rating, user_hash: UserHash = None) -> Response:
    """Keep the rating as an audit record of kind `rating` (actor the customer); a second one is a 409."""
    state = state_of(request)

    def keep() -> dict[str, str]:
        info = _authorize(state, conversation_id, user_hash)
        state.conversation_buckets.check(conversation_id, "conversation")
        audit = state.container.audit
        comment = body.comment.strip()
        with audit.uow.write() as uow:
            # The check and the record in one transaction under the conversation's rating lock: two
            # tabs rating at once keep one rating.
            uow.lock([f"rating:{conversation_id}"])
            if any(r.kind == "rating" for r in uow.audit.read(conversation_id=conversation_id)):
                raise WebError("this conversation has been rated already", code="already_rated", status=409)
            audit.append(
                "rating",
                actor=f"customer:{info['customer_id']}",
                data={"rating": body.rating, "comment": comment},
                conversation_id=conversation_id,
                uow=uow,
            )
        return {"rating": body.rating, "comment": comment}

    return JSONResponse(await run_in_threadpool(keep), status_code=201)


__all__ = ["Rating", "router"]
