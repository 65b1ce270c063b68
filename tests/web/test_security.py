"""Identity verification (HMAC user hash) and the admin bearer token."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest
from tests.web.conftest import ADMIN, SECRET

from purser.web.errors import Unauthorized
from purser.web.security import AdminAuth, Identity, user_hash


def test_user_hash_is_hex_hmac_sha256() -> None:
    expected = hmac.new(b"s3cret", b"cus_ana", hashlib.sha256).hexdigest()
    assert user_hash("s3cret", "cus_ana") == expected


def test_identity_verify() -> None:
    identity = Identity("s3cret")
    identity.verify("cus_ana", user_hash("s3cret", "cus_ana"))
    identity.verify("cus_ana", user_hash("s3cret", "cus_ana").upper())  # hex is case-insensitive
    for bad in (None, "", "00" * 32, user_hash("s3cret", "cus_ben"), user_hash("other", "cus_ana"), "zz"):
        with pytest.raises(Unauthorized):
            identity.verify("cus_ana", bad)
    Identity(None).verify("cus_ana", None)  # demo mode: no check
    assert "OFF" in Identity(None).describe()
    assert "ON" in identity.describe()


def test_admin_auth() -> None:
    auth = AdminAuth("tok")
    assert auth.verify("Bearer tok") == "admin"
    assert auth.verify("bearer   tok") == "admin"
    for bad in (None, "", "tok", "Basic tok", "Bearer", "Bearer nope"):
        with pytest.raises(Unauthorized):
            auth.verify(bad)
    with pytest.raises(Unauthorized, match="disabled"):
        AdminAuth(None).verify("Bearer anything")


async def test_bad_identity_hash_gets_401(secure_client: httpx.AsyncClient) -> None:
    body = {"customer_id": "cus_ana", "channel": "web"}
    response = await secure_client.post("/api/conversations", json=body)
    assert response.status_code == 401
    assert "X-Purser-User-Hash" in response.json()["error"]["message"]
    response = await secure_client.post("/api/conversations", json=body, headers={"X-Purser-User-Hash": "ab" * 32})
    assert response.status_code == 401
    wrong_customer = user_hash(SECRET, "cus_ben")
    response = await secure_client.post("/api/conversations", json=body, headers={"X-Purser-User-Hash": wrong_customer})
    assert response.status_code == 401


async def test_good_hash_opens_only_that_customers_conversation(secure_client: httpx.AsyncClient) -> None:
    ana = {"X-Purser-User-Hash": user_hash(SECRET, "cus_ana")}
    ben = {"X-Purser-User-Hash": user_hash(SECRET, "cus_ben")}
    response = await secure_client.post("/api/conversations", json={"customer_id": "cus_ana"}, headers=ana)
    assert response.status_code == 200
    cid = response.json()["id"]
    assert (await secure_client.get(f"/api/conversations/{cid}", headers=ana)).status_code == 200
    # Ben's valid hash does not open Ana's conversation; nor does no hash.
    assert (await secure_client.get(f"/api/conversations/{cid}", headers=ben)).status_code == 401
    assert (await secure_client.get(f"/api/conversations/{cid}")).status_code == 401
    event = {"type": "message", "text": "hello"}
    assert (await secure_client.post(f"/api/conversations/{cid}/events", json=event, headers=ben)).status_code == 401
    stream = await secure_client.get(f"/api/conversations/{cid}/stream", params={"user_hash": "00" * 32})
    assert stream.status_code == 401


async def test_demo_api_is_off_when_identity_is_on(secure_client: httpx.AsyncClient) -> None:
    assert (await secure_client.get("/api/demo/customers")).status_code == 404
    assert (await secure_client.get("/api/demo/customers/cus_ana")).status_code == 404
    health = (await secure_client.get("/api/health")).json()
    assert health["identity_verification"] is True


async def test_admin_api_needs_the_token(client: httpx.AsyncClient) -> None:
    for path in ("/api/admin/approvals", "/api/admin/audit", "/api/admin/metrics", "/api/admin/policy"):
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers={"Authorization": "Bearer wrong"})).status_code == 401
        response = await client.get(path, headers=ADMIN)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store"
    denied = await client.post("/api/admin/approvals/apr_x", json={"decision": "approve", "reason": ""})
    assert denied.status_code == 401


async def test_pages_refuse_framing_and_admin_api_has_no_cors(client: httpx.AsyncClient) -> None:
    page = await client.get("/admin")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    public = await client.options("/api/conversations", headers=preflight)
    assert public.headers.get("access-control-allow-origin") == "*"
    admin = await client.options("/api/admin/approvals", headers=preflight)
    assert "access-control-allow-origin" not in admin.headers
