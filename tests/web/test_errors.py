"""The exception-to-status mapping: every error type of the project has a 4xx/5xx, bad requests get JSON."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import httpx
import pytest

import purser
from purser.web.errors import CONTROL_FLOW, ERROR_STATUS, WebError, status_for


def _project_exceptions() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(purser.__path__, "purser."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # a module mid-edit elsewhere in the tree; its own tests cover it
            continue
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("purser."):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_every_project_error_type_maps_to_a_status() -> None:
    missing = []
    for cls in _project_exceptions():
        name = f"{cls.__module__}.{cls.__qualname__}"
        if issubclass(cls, WebError) or name in CONTROL_FLOW:
            continue
        if not any(f"{c.__module__}.{c.__qualname__}" in ERROR_STATUS for c in cls.__mro__):
            missing.append(f"{cls.__module__}.{cls.__qualname__}")
    assert not missing, f"add these to purser.web.errors.ERROR_STATUS: {missing}"


def test_every_mapped_name_exists() -> None:
    stale = []
    for name in ERROR_STATUS:
        module_name, _, cls_name = name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except Exception:  # mid-edit elsewhere
            continue
        if not hasattr(module, cls_name):
            stale.append(name)
    assert not stale, f"stale entries in ERROR_STATUS: {stale}"


def test_mapping_follows_the_mro() -> None:
    from purser.processors.errors import CardDeclined, NotFound, ProcessorUnavailable

    assert status_for(NotFound("x")) == (404, "not_found")
    assert status_for(CardDeclined("x"))[0] == 402  # type: ignore[index]
    assert status_for(ProcessorUnavailable("x"))[0] == 503  # type: ignore[index]
    assert status_for(KeyError("x")) == (404, "not_found")  # LookupError fallback
    assert status_for(ZeroDivisionError()) is None  # a real bug stays a 500


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
