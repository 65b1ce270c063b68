"""Dashboard sessions (DESIGN §11): password sign-in into an HttpOnly, SameSite=Strict cookie (Secure on
https), CSRF refusal on every state-changing request made with the cookie, sign-out, expiry, disabled people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import asgi_client, make_container
from tests.web.test_admin_api import over_cap_refund

from purser.app import Container
from purser.people.sessions import CSRF_HEADER, SESSION_COOKIE

PASSWORD = "correct horse battery staple"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Container]:
    c = make_container(tmp_path)
    assert c.people is not None
    c.people.create("alice", "approver", limit="10000.00", password=PASSWORD)
    c.people.create("vera", "viewer", password=PASSWORD)
    yield c
    c.close()


@pytest.fixture
async def api(world: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(world) as c:
        yield c


async def sign_in(api: httpx.AsyncClient, name: str = "alice") -> tuple[httpx.Response, str]:
    """Sign in; the response and the session's CSRF token."""
    response = await api.post("/api/session/login", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response, response.json()["csrf_token"]


def _cookie_attributes(response: httpx.Response) -> dict[str, str]:
    [header] = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    parts = [p.strip() for p in header.split(";")]
    assert parts[0].startswith(f"{SESSION_COOKIE}=") and len(parts[0]) > len(SESSION_COOKIE) + 40
    return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts[1:]}


async def test_sign_in_sets_a_strict_httponly_cookie(api: httpx.AsyncClient) -> None:
    response, csrf = await sign_in(api)
    attributes = _cookie_attributes(response)
    assert "httponly" in attributes and attributes["samesite"].lower() == "strict" and attributes["path"] == "/"
    assert "secure" not in attributes  # plain http on 127.0.0.1: a Secure cookie would never come back
    assert int(attributes["max-age"]) == 8 * 3600
    body = response.json()
    assert body["name"] == "alice" and body["role"] == "approver" and len(csrf) >= 40
    assert body["approval_limit"] == {"minor": 1_000_000, "currency": "usd", "amount": "10000.00"}
    me = (await api.get("/api/session/me")).json()
    assert me["actor"] == "human:alice" and me["csrf_token"] == csrf


async def test_the_cookie_is_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    world = make_container(tmp_path, public_url="https://billing.example.com")
    try:
        assert world.people is not None
        world.people.create("alice", "admin", password=PASSWORD)
        async with asgi_client(world) as api:
            response, _csrf = await sign_in(api)
            assert "secure" in _cookie_attributes(response)
    finally:
        world.close()


async def test_a_cross_site_form_cannot_sign_in_and_session_answers_are_not_cached(api: httpx.AsyncClient) -> None:
    # A form can post text/plain that looks like JSON; only application/json is read, so it signs nobody in.
    forged = await api.post(
        "/api/session/login",
        content=f'{{"name": "alice", "password": "{PASSWORD}"}}',
        headers={"Content-Type": "text/plain"},
    )
    assert forged.status_code == 422 and "set-cookie" not in forged.headers
    response, _csrf = await sign_in(api)
    assert response.headers["cache-control"] == "no-store"
    assert (await api.get("/api/session/me")).headers["cache-control"] == "no-store"


async def test_wrong_passwords_and_unknown_names_look_the_same(api: httpx.AsyncClient, world: Container) -> None:
    for name, password in (("alice", "wrong password!!"), ("nobody", PASSWORD), ("bad name!", PASSWORD)):
        response = await api.post("/api/session/login", json={"name": name, "password": password})
        assert response.status_code == 401 and response.json()["error"]["message"] == "wrong name or password"
        assert "set-cookie" not in response.headers and password not in response.text
    assert world.people is not None
    tokens_only = world.people.create("tok", "viewer")[0]
    assert tokens_only.password_hash is None
    refused = await api.post("/api/session/login", json={"name": "tok", "password": PASSWORD})
    assert refused.status_code == 401


async def test_a_state_changing_request_without_the_csrf_token_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, world: Container
) -> None:
    _cid, action_id = await over_cap_refund(api)
    _response, csrf = await sign_in(api)
    approvals = (await api.get("/api/admin/approvals")).json()["approvals"]  # a read needs no token
    apr = next(a["id"] for a in approvals if a["action_id"] == action_id)
    for headers in ({}, {CSRF_HEADER: "forged"}, {CSRF_HEADER: csrf + "x"}):
        refused = await api.post(f"/api/admin/approvals/{apr}", headers=headers, json={"decision": "approve"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_rejected"
    assert [r for r in world.audit.records(action_id=action_id) if r.kind == "approval_decision"] == []
    pending = (await api.get("/api/admin/approvals?status=pending")).json()["approvals"]
    assert [a["id"] for a in pending] == [apr]
    done = await api.post(f"/api/admin/approvals/{apr}", headers={CSRF_HEADER: csrf}, json={"decision": "approve"})
    assert done.status_code == 200, done.text
    decisions = [r for r in world.audit.records(action_id=action_id) if r.kind == "approval_decision"]
    assert [d.actor for d in decisions] == ["human:alice"]


async def test_sign_out_ends_the_session(api: httpx.AsyncClient) -> None:
    _response, csrf = await sign_in(api)
    stolen = api.cookies.get(SESSION_COOKIE)
    assert (await api.post("/api/session/logout")).status_code == 403  # sign-out is a change: CSRF too
    out = await api.post("/api/session/logout", headers={CSRF_HEADER: csrf})
    assert out.status_code == 200 and "max-age=0" in out.headers["set-cookie"].lower()
    api.cookies.set(SESSION_COOKIE, str(stolen))  # a copy of the old cookie opens nothing
    assert (await api.get("/api/admin/approvals")).status_code == 401


async def test_a_session_expires(api: httpx.AsyncClient, world: Container) -> None:
    await sign_in(api)
    assert (await api.get("/api/admin/approvals")).status_code == 200
    assert world.sessions is not None
    world.sessions.clock = lambda: datetime.now(UTC) + timedelta(hours=8, seconds=1)
    expired = await api.get("/api/admin/approvals")
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    world.sessions.clock = lambda: datetime.now(UTC)
    assert (await api.get("/api/admin/approvals")).status_code == 401  # the row is gone, not only stale


async def test_disabling_a_person_ends_their_sessions_and_roles_still_apply(
    api: httpx.AsyncClient, world: Container
) -> None:
    _response, csrf = await sign_in(api, "vera")
    assert (await api.get("/api/admin/audit")).status_code == 200
    refused = await api.post("/api/admin/approvals/apr_x", headers={CSRF_HEADER: csrf}, json={"decision": "approve"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"
    assert world.people is not None
    world.people.disable("vera")
    assert (await api.get("/api/admin/audit")).status_code == 401
    again = await api.post("/api/session/login", json={"name": "vera", "password": PASSWORD})
    assert again.status_code == 401


async def test_a_bearer_token_needs_no_csrf_token(api: httpx.AsyncClient, world: Container) -> None:
    assert world.people is not None
    token = world.people.new_token("alice")
    # No cookie rides along with a bearer token, so there is no cross-site request to forge.
    response = await api.post(
        "/api/admin/approvals/apr_missing", headers={"Authorization": f"Bearer {token}"}, json={"decision": "deny"}
    )
    assert response.status_code == 404
    assert (await api.get("/api/session/methods")).json() == {"password": True, "sso": False}
    assert (await api.get("/api/session/sso")).status_code == 404


async def test_password_guesses_for_one_name_are_throttled(api: httpx.AsyncClient) -> None:
    for _ in range(10):
        wrong = await api.post("/api/session/login", json={"name": "vera", "password": "not her password"})
        assert wrong.status_code == 401
    throttled = await api.post("/api/session/login", json={"name": "Vera", "password": PASSWORD})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert "set-cookie" not in throttled.headers
    await sign_in(api, "alice")  # another name is not held back
