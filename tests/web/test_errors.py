"""The exception-to-status mapping: by type; deliberate errors keep their status, a bug is a generic 500."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from purser.app import Container
from purser.errors import PurserError
from purser.web.app import create_app
from purser.web.errors import INTERNAL_ERROR_MESSAGE, WebError, status_for


def test_mapping_is_by_type() -> None:
    from purser.processors.errors import CardDeclined, NotFound, ProcessorError, ProcessorUnavailable

    assert status_for(NotFound("x")) == (404, "resource_missing")
    assert status_for(CardDeclined("x", code="insufficient_funds")) == (402, "insufficient_funds")
    assert status_for(ProcessorUnavailable("x"))[0] == 503  # type: ignore[index]
    assert status_for(ProcessorError("x")) == (502, "processor_error")
    assert status_for(WebError("x", status=418, code="teapot")) == (418, "teapot")
    # Builtins are not deliberate: whatever their type, they are bugs (a real 500).
    assert status_for(KeyError("x")) is None
    assert status_for(ValueError("x")) is None
    assert status_for(ZeroDivisionError()) is None


def _app_raising(container: Container, exc: BaseException) -> FastAPI:
    app = create_app(container)

    @app.get("/api/boom")
    def boom() -> None:
        raise exc

    return app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("secret=hunter2 in the bug's message"),
        KeyError("sk_live_leaked"),
        LookupError("select * from customers"),
        RuntimeError("boom"),
    ],
)
async def test_a_bug_in_a_route_is_a_generic_500(
    container: Container, exc: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="purser.web"):
        response = await _get(_app_raising(container, exc), "/api/boom")
    assert response.status_code == 500
    assert response.json() == {"error": {"status": 500, "code": "internal_error", "message": INTERNAL_ERROR_MESSAGE}}
    assert "hunter2" not in response.text and "sk_live" not in response.text and "select" not in response.text
    assert any(record.exc_info for record in caplog.records), "the traceback goes to the log"


async def test_a_deliberate_error_in_a_route_keeps_its_status_and_code(container: Container) -> None:
    from purser.money import InvalidAmount
    from purser.processors.errors import Conflict

    for exc, status, code in (
        (InvalidAmount("'12.345' has too many decimals"), 422, "invalid_amount"),
        (Conflict("already canceled"), 409, "conflict"),
        (PurserError("a deliberate failure"), 500, "purser_error"),
    ):
        response = await _get(_app_raising(container, exc), "/api/boom")
        assert response.status_code == status
        assert response.json()["error"] == {"status": status, "code": code, "message": str(exc)}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/api/nope", None, 404, "not_found"),
        ("DELETE", "/api/conversations", None, 405, "method_not_allowed"),
        ("POST", "/api/conversations", b"{not json", 422, "validation_error"),
        ("POST", "/api/conversations", b'{"customer_id": 5}', 422, "validation_error"),
        ("POST", "/api/conversations", b'{"customer_id": "cus_ana", "extra": 1}', 422, "validation_error"),
        ("POST", "/api/conversations", b'{"customer_id": "no such/customer"}', 422, "validation_error"),
        ("POST", "/api/conversations", b'{"customer_id": "cus_nobody"}', 404, "not_found"),
        ("GET", "/api/conversations/cnv_missing", None, 404, "conversation_not_found"),
        ("POST", "/api/conversations/cnv_missing/events", b'{"type":"message","text":"hi"}', 404, None),
        ("GET", "/api/admin/approvals", None, 401, "unauthorized"),
    ],
)
async def test_bad_requests_get_a_json_4xx_naming_the_problem(
    client: httpx.AsyncClient, method: str, path: str, body: bytes | None, status: int, code: str | None
) -> None:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    response = await client.request(method, path, content=body, headers=headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    assert error["message"]
    if code:
        assert error["code"] == code


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
    response = await client.post(f"/api/conversations/{cid}/events", json={"type": "confirm", "action_id": "a"})
    assert response.status_code == 422
    fields = [d["field"] for d in response.json()["error"]["details"]]
    assert any("decision" in f for f in fields)
    response = await client.post(f"/api/conversations/{cid}/events", json={"type": "shout", "text": "x"})
    assert response.status_code == 422
    response = await client.post(f"/api/conversations/{cid}/events", json={"type": "message", "text": "   "})
    assert response.status_code == 400
    assert "blank" in response.json()["error"]["message"]


async def test_unknown_confirmation_is_a_409_and_changes_nothing(client: httpx.AsyncClient) -> None:
    cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
    response = await client.post(
        f"/api/conversations/{cid}/events", json={"type": "confirm", "action_id": "act_nope", "decision": "yes"}
    )
    assert response.status_code == 409
    assert "act_nope" in response.json()["error"]["message"]
    transcript = (await client.get(f"/api/conversations/{cid}")).json()
    assert transcript["entries"] == []


async def test_body_size_limit(client: httpx.AsyncClient) -> None:
    big = b'{"customer_id": "' + b"a" * 70_000 + b'"}'
    response = await client.post("/api/conversations", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    async def chunks():  # no Content-Length: counted while reading
        for _ in range(20):
            yield b"a" * 8192

    response = await client.post("/api/conversations", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
