"""The live stream takes a short-lived stream token, never the user hash, in its URL (issue 16 hardening):
the token is issued only for the header hash of the conversation's customer, opens only that conversation's
stream, and expires after five minutes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import SECRET, LiveServer, make_container
from tests.web.test_live import next_message

from purser.app import Container
from purser.web.security import STREAM_TOKEN_SECONDS, Identity, user_hash


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[Container]:
    c = make_container(tmp_path, identity_secret=SECRET)
    yield c
    c.close()


def _headers(customer: str) -> dict[str, str]:
    return {"X-Purser-User-Hash": user_hash(SECRET, customer)}


async def test_the_stream_opens_with_a_token_and_never_with_the_hash_in_the_url(secure: Container) -> None:
    with LiveServer(secure) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            ana, ben = _headers("cus_ana"), _headers("cus_ben")
            cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"}, headers=ana)).json()["id"]
            assert (await client.post(f"/api/conversations/{cid}/stream-token")).status_code == 401
            assert (await client.post(f"/api/conversations/{cid}/stream-token", headers=ben)).status_code == 401
            issued = await client.post(f"/api/conversations/{cid}/stream-token", headers=ana)
            assert issued.status_code == 200 and issued.json()["expires_in"] == STREAM_TOKEN_SECONDS
            token = issued.json()["token"]
            assert user_hash(SECRET, "cus_ana") not in token
            async with client.stream("GET", f"/api/conversations/{cid}/stream", params={"token": token}) as stream:
                assert stream.status_code == 200
                lines = stream.aiter_lines()
                await asyncio.wait_for(next_message(lines, "ready"), 10)
            # The old way, a never-expiring credential in the URL, no longer opens anything.
            by_hash = await client.get(
                f"/api/conversations/{cid}/stream", params={"user_hash": ana["X-Purser-User-Hash"]}
            )
            assert by_hash.status_code == 401 and "stream token" in by_hash.json()["error"]["message"]
            # A token opens only its own conversation.
            other = (await client.post("/api/conversations", json={"customer_id": "cus_ben"}, headers=ben)).json()["id"]
            wrong = await client.get(f"/api/conversations/{other}/stream", params={"token": token})
            assert wrong.status_code == 401


def test_a_stream_token_expires_and_cannot_be_forged() -> None:
    identity = Identity(SECRET)
    now = time.time()
    token = identity.stream_token("cus_ana", "c_1", now=now)
    assert token is not None
    identity.verify_stream_token("cus_ana", "c_1", token, now=now + STREAM_TOKEN_SECONDS - 1)
    from purser.web.errors import Unauthorized

    with pytest.raises(Unauthorized, match="expired"):
        identity.verify_stream_token("cus_ana", "c_1", token, now=now + STREAM_TOKEN_SECONDS + 1)
    expires, _, signature = token.partition(".")
    later = f"{int(expires) + 3600}.{signature}"  # pushing the expiry breaks the signature
    for bad in (later, "", "abc", f"{expires}.{'0' * 64}", user_hash(SECRET, "cus_ana")):
        with pytest.raises(Unauthorized):
            identity.verify_stream_token("cus_ana", "c_1", bad, now=now)
    with pytest.raises(Unauthorized):
        identity.verify_stream_token("cus_ben", "c_1", token, now=now)
    assert Identity(None).stream_token("cus_ana", "c_1") is None  # demo mode: the stream needs no token
