"""The platforms' endpoints (DESIGN §9): `/channels/{name}/...` for Slack, WhatsApp, Discord and email.

    POST /channels/slack/events            POST /channels/slack/interactions
    GET  /channels/whatsapp/webhook        POST /channels/whatsapp/webhook
    POST /channels/discord/interactions
    POST /channels/email/inbound           GET/POST /channels/email/confirm/{token}

One route hands the request, exactly as received, to the channel service; the platform's adapter
verifies and parses it (so the body is never parsed before its signature is checked) and the
answer goes back as the adapter shaped it. Errors are `PurserError`s, mapped by type (401 bad
signature, 403 not allowed, 404 not configured, 400 malformed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from purser.channels.base import ChannelNotConfigured, RawRequest
from purser.web.app import state_of

router = APIRouter(tags=["channels"])

ChannelPath = Annotated[str, Path(pattern=r"^(slack|whatsapp|discord|email)$", description="The platform.")]
SubPath = Annotated[str, Path(max_length=300, description="The platform's endpoint below the channel.")]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "bad signature"},
    403: {"description": "not allowed"},
    404: {"description": "channel not configured"},
}


@router.post(
    "/channels/{name}/{path:path}", summary="A platform's webhook (signed by the platform)", responses=_RESPONSES
)
async def channel_post(request: Request, name: ChannelPath, path: SubPath) -> Response:
    """Verify and answer a platform request; its turn runs in the background."""
    return await _receive(request, name, path)


@router.get("/channels/{name}/{path:path}", summary="A platform's verification or page", responses=_RESPONSES)
async def channel_get(request: Request, name: ChannelPath, path: SubPath) -> Response:
    """A platform's verification handshake (WhatsApp) or a page a link opens (email confirmations); never a write."""
    return await _receive(request, name, path)


async def _receive(request: Request, name: str, path: str) -> Response:
    state = state_of(request)
    service = state.container.channels
    if service is None:
        raise ChannelNotConfigured(f"channel {name!r} is not configured (add channels.{name} to purser.yaml)")
    raw = RawRequest(
        method=request.method,
        path=path,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=await request.body(),
        received_at=datetime.now(UTC),
    )
    answer = await run_in_threadpool(service.receive, name, raw)
    return Response(
        answer.body, status_code=answer.status, media_type=answer.content_type, headers=dict(answer.headers)
    )


__all__ = ["channel_get", "channel_post", "router"]
