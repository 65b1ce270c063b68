"""`LeanRoute` answers exactly as FastAPI's own route does: the same endpoint declared twice, once per
route class, gets the same requests (ordinary and malformed) and must give the same responses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Body, FastAPI, Header, Path, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from purser.agent.events import CustomerEvent
from purser.web import errors
from purser.web.app import create_app
from purser.web.lean import LeanRoute, _plan
from purser.web.schemas import ID_PATTERN, CreateConversation

Cid = Annotated[str, Path(pattern=ID_PATTERN)]
Hash = Annotated[str | None, Header(alias="X-Purser-User-Hash", max_length=20)]


def _app(route_class: type[APIRoute]) -> FastAPI:
    router = APIRouter(prefix="/c", route_class=route_class)

    @router.post("/{conversation_id}/events")
    async def event(
        request: Request,
        conversation_id: Cid,
        event: Annotated[CustomerEvent, Body()],
        user_hash: Hash = None,
    ) -> Response:
        seen = {"path": request.url.path, "cid": conversation_id, "event": event.model_dump(), "hash": user_hash}
        return JSONResponse({"type": type(event).__name__, **seen})

    @router.post("")
    async def create(body: CreateConversation, user_hash: Hash = None) -> Response:
        return JSONResponse({"body": body.model_dump(), "hash": user_hash})

    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    return app


CASES: list[tuple[str, bytes, dict[str, str]]] = [
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"X-Purser-User-Hash": "abc"}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"X-Purser-User-Hash": ""}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"X-Purser-User-Hash": "x" * 21}),
    ("/c/cnv_1/events", b'{"type": "confirm", "action_id": "a_1", "decision": "yes"}', {}),
    ("/c/cnv_1/events", b'{"type": "confirm", "action_id": "a_1", "decision": "maybe"}', {}),
    ("/c/cnv_1/events", b'{"type": "other"}', {}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi", "extra": 1}', {}),
    ("/c/cnv_1/events", b"[]", {}),
    ("/c/cnv_1/events", b"null", {}),
    ("/c/cnv_1/events", b'{"type": "message", "text": ', {}),
    ("/c/cnv_1/events", b"\xff\xfe{}", {}),
    ("/c/cnv_1/events", b"[" * 100_000 + b"]" * 100_000, {}),
    ("/c/cnv_1/events", b"", {}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"Content-Type": "text/plain"}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"Content-Type": "application/json; charset=utf-8"}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"Content-Type": "application/vnd.x+json"}),
    ("/c/cnv_1/events", b'{"type": "message", "text": "hi"}', {"Content-Type": ""}),
    ("/c/bad id!/events", b'{"type": "message", "text": "hi"}', {}),
    ("/c/" + "x" * 201 + "/events", b'{"type": "message", "text": "hi"}', {}),
    ("/c", b'{"customer_id": "cus_1", "channel": "web"}', {}),
    ("/c", b'{"customer_id": "cus_1"}', {"X-Purser-User-Hash": "h"}),
    ("/c", b'{"customer_id": "no way"}', {}),
    ("/c", b'{"channel": "web"}', {}),
]


@pytest.fixture
async def clients() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    lean = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(LeanRoute)), base_url="http://t")
    plain = httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(APIRoute)), base_url="http://t")
    async with lean, plain:
        yield lean, plain


@pytest.mark.parametrize(("path", "body", "headers"), CASES)
async def test_same_response_as_fastapi(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], path: str, body: bytes, headers: dict[str, str]
) -> None:
    lean, plain = clients
    sent = {"Content-Type": "application/json", **headers}
    if "Content-Type" in headers and not headers["Content-Type"]:
        sent.pop("Content-Type")
    got = await lean.post(path, content=body, headers=sent)
    expected = await plain.post(path, content=body, headers=sent)
    assert (got.status_code, got.headers.raw, got.content) == (
        expected.status_code,
        expected.headers.raw,
        expected.content,
    )


def test_hot_routes_take_the_short_path(container: Any) -> None:
    from purser.web import chat

    kinds = {r.path: _plan(r) is not None for r in chat.router.routes if isinstance(r, LeanRoute)}
    assert kinds["/api/conversations/{conversation_id}/events"]
    assert kinds["/api/conversations"]
    assert not kinds["/api/conversations/{conversation_id}/stream"]  # query parameters: FastAPI's handler
    document = create_app(container).openapi()
    assert document["paths"]["/api/conversations/{conversation_id}/events"]["post"]["requestBody"]["required"]


async def test_real_turn_over_the_short_path(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/conversations", json={"customer_id": "cus_ana"})
    assert created.status_code == 200
    cid = created.json()["id"]
    turn = await client.post(f"/api/conversations/{cid}/events", json={"type": "message", "text": "Hi there!"})
    assert turn.status_code == 200
    assert [e["type"] for e in turn.json()["events"]][-1] == "message"
    blank = await client.post(f"/api/conversations/{cid}/events", json={"type": "message", "text": "   "})
    assert blank.status_code == 400
    unknown = await client.post("/api/conversations", json={"customer_id": "cus_nobody"})
    assert unknown.status_code == 404
