"""OIDC sign-in (DESIGN §11) against the local provider (`purser.testing.oidc`, real HTTP on 127.0.0.1, real
RS256 id tokens): the code flow with PKCE opens a session for the linked person; a bad signature, issuer,
audience, nonce, an expired token, a replayed state or an unknown user are refused with no session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.web.conftest import asgi_client, make_container

from purser.app import Container
from purser.people.sessions import SESSION_COOKIE
from purser.testing.oidc import LocalOidcProvider

CLIENT_ID, CLIENT_SECRET = "purser-dashboard", "local-client-secret-123"


@pytest.fixture
def idp() -> Iterator[LocalOidcProvider]:
    with LocalOidcProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as provider:
        yield provider


@pytest.fixture
def world(tmp_path: Path, idp: LocalOidcProvider) -> Iterator[Container]:
    oidc = {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    c = make_container(tmp_path, oidc=oidc)
    assert c.people is not None
    c.people.create("alice", "approver", limit="100.00")
    yield c
    c.close()


@pytest.fixture
async def api(world: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(world) as c:
        yield c


async def start(api: httpx.AsyncClient) -> dict[str, str]:
    """GET /api/session/sso: the authorization request's query (checked to be a PKCE S256 code request)."""
    response = await api.get("/api/session/sso")
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert query["client_id"] == CLIENT_ID and "openid" in query["scope"].split()
    assert query["redirect_uri"] == "http://127.0.0.1:8000/api/session/sso/callback"
    assert len(query["state"]) >= 40 and len(query["nonce"]) >= 40 and len(query["code_challenge"]) == 43
    return query | {"url": response.headers["location"]}


async def round_trip(api: httpx.AsyncClient) -> httpx.Response:
    """The whole flow: our redirect, the provider's (over real HTTP), then our callback."""
    request = await start(api)
    provider = httpx.get(request["url"], follow_redirects=False, timeout=10)
    assert provider.status_code == 302
    back = urlsplit(provider.headers["location"])
    return await api.get(f"{back.path}?{back.query}")


async def test_sso_sign_in_opens_a_session_for_the_linked_person(
    api: httpx.AsyncClient, idp: LocalOidcProvider, world: Container
) -> None:
    assert (await api.get("/api/session/methods")).json() == {"password": True, "sso": True}
    done = await round_trip(api)
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    assert "httponly" in done.headers["set-cookie"].lower() and "samesite=strict" in done.headers["set-cookie"].lower()
    me = (await api.get("/api/session/me")).json()
    assert me["name"] == "alice" and me["role"] == "approver"
    # The code was exchanged with the PKCE verifier and our redirect URI.
    [form] = idp.token_requests
    assert form["grant_type"] == "authorization_code" and len(form["code_verifier"]) >= 43
    assert world.people is not None
    assert world.people.person("alice").oidc_subject == f"{idp.issuer} user-1"
    # Next time the subject finds alice even if her username at the provider changed.
    idp.user = {"sub": "user-1", "preferred_username": "someone-else"}
    api.cookies.clear()
    assert (await round_trip(api)).status_code == 303


@pytest.mark.parametrize(
    ("tamper", "foreign", "message"),
    [
        ({}, True, "signature does not verify"),
        ({"iss": "http://127.0.0.1:9/evil"}, False, "refused"),
        ({"aud": "another-client"}, False, "another client"),
        ({"aud": [CLIENT_ID, "another-client"]}, False, "another party"),
        ({"nonce": "not-the-one-we-sent"}, False, "nonce"),
        ({"nonce": None}, False, "nonce"),
        ({"exp": 1_000_000_000}, False, "refused"),
    ],
    ids=["bad-signature", "bad-issuer", "bad-audience", "bad-azp", "bad-nonce", "no-nonce", "expired"],
)
async def test_a_bad_id_token_is_refused(
    api: httpx.AsyncClient, idp: LocalOidcProvider, tamper: dict[str, Any], foreign: bool, message: str
) -> None:
    idp.tamper, idp.foreign_key = tamper, foreign
    refused = await round_trip(api)
    assert refused.status_code == 401, refused.text
    error = refused.json()["error"]
    assert error["code"] == "sso_failed" and message in error["message"]
    assert "set-cookie" not in refused.headers and SESSION_COOKIE not in api.cookies
    assert (await api.get("/api/session/me")).status_code == 401


async def test_a_state_works_once_and_a_forged_one_never(api: httpx.AsyncClient) -> None:
    request = await start(api)
    provider = httpx.get(request["url"], follow_redirects=False, timeout=10)
    back = urlsplit(provider.headers["location"])
    assert (await api.get(f"{back.path}?{back.query}")).status_code == 303
    api.cookies.clear()
    replay = await api.get(f"{back.path}?{back.query}")
    assert replay.status_code == 401 and "already used" in replay.json()["error"]["message"]
    forged = await api.get("/api/session/sso/callback", params={"code": "x", "state": "made-up"})
    assert forged.status_code == 401
    assert (await api.get("/api/session/sso/callback", params={"error": "access_denied"})).status_code == 401


async def test_an_unknown_user_gets_no_account(api: httpx.AsyncClient, idp: LocalOidcProvider) -> None:
    idp.user = {"sub": "user-9", "preferred_username": "mallory"}
    refused = await round_trip(api)
    assert refused.status_code == 401 and "no Purser account for 'mallory'" in refused.json()["error"]["message"]


async def test_a_disabled_person_cannot_sign_in_with_sso(api: httpx.AsyncClient, world: Container) -> None:
    assert world.people is not None
    world.people.disable("alice")
    refused = await round_trip(api)
    assert refused.status_code == 401 and SESSION_COOKIE not in api.cookies


async def test_an_unreachable_provider_is_a_503_and_nobody_signs_in(tmp_path: Path) -> None:
    with LocalOidcProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as gone:
        issuer = gone.issuer
    world = make_container(tmp_path, oidc={"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    try:
        async with asgi_client(world) as api:
            down = await api.get("/api/session/sso")
            assert down.status_code == 503 and down.json()["error"]["code"] == "sso_unavailable"
            assert CLIENT_SECRET not in down.text
    finally:
        world.close()
