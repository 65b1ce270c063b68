"""The end-of-conversation rating (issue 17): kept server-side as an audit record of kind `rating`."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import SECRET, LiveServer, asgi_client, make_container
from tests.web.test_chat_api import start

from purser.app import Container
from purser.channels.render import QUOTE_FACTS
from purser.web.security import user_hash


def ratings(container: Container, cid: str) -> list[tuple[str, dict[str, object]]]:
    """(actor, data) of the conversation's rating records."""
    return [(r.actor, r.data) for r in container.audit.records(conversation_id=cid) if r.kind == "rating"]


async def test_a_rating_with_a_comment_is_kept_once(client: httpx.AsyncClient, container: Container) -> None:
    cid = await start(client, "cus_ana")
    response = await client.post(f"/api/conversations/{cid}/rating", json={"rating": "down", "comment": "  too slow "})
    assert response.status_code == 201, response.text
    assert response.json() == {"rating": "down", "comment": "too slow"}
    assert ratings(container, cid) == [("customer:cus_ana", {"rating": "down", "comment": "too slow"})]
    again = await client.post(f"/api/conversations/{cid}/rating", json={"rating": "up"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    assert len(ratings(container, cid)) == 1
    assert container.audit.verify().ok  # the record joined the chain like any other


async def test_bad_ratings_are_refused_and_change_nothing(client: httpx.AsyncClient, container: Container) -> None:
    cid = await start(client, "cus_ana")
    for body in ({}, {"rating": "meh"}, {"rating": "up", "comment": "x" * 1001}, {"rating": "up", "extra": 1}):
        response = await client.post(f"/api/conversations/{cid}/rating", json=body)
        assert response.status_code == 422, body
    assert (await client.post("/api/conversations/c_none/rating", json={"rating": "up"})).status_code == 404
    assert ratings(container, cid) == []


async def test_with_identity_on_only_the_conversations_customer_rates(secure_container: Container) -> None:
    async with asgi_client(secure_container) as client:
        good = {"X-Purser-User-Hash": user_hash(SECRET, "cus_ana")}
        cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"}, headers=good)).json()["id"]
        other = {"X-Purser-User-Hash": user_hash(SECRET, "cus_lena")}
        assert (
            await client.post(f"/api/conversations/{cid}/rating", json={"rating": "up"}, headers=other)
        ).status_code == 401
        assert ratings(secure_container, cid) == []
        ok = await client.post(f"/api/conversations/{cid}/rating", json={"rating": "up"}, headers=good)
        assert ok.status_code == 201
        assert ratings(secure_container, cid) == [("customer:cus_ana", {"rating": "up", "comment": ""})]


async def test_the_widget_reads_the_channels_quote_fact_table(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/widget/quote-facts", headers={"Origin": "https://shop.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"  # host sites embed the widget
    assert [(f["key"], f["label"], f["kind"]) for f in response.json()["facts"]] == list(QUOTE_FACTS)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_tabs_rating_at_once_keep_one_rating(tmp_path: Path, request: pytest.FixtureRequest, backend: str) -> None:
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'purser.db'}"
    container = make_container(tmp_path, database_url=url)
    try:
        with LiveServer(container) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            cid = client.post("/api/conversations", json={"customer_id": "cus_ana"}).json()["id"]
            start_line = threading.Barrier(6)

            def rate_once(value: str) -> int:
                with httpx.Client(base_url=server.url, timeout=30) as own:
                    start_line.wait()
                    return own.post(f"/api/conversations/{cid}/rating", json={"rating": value}).status_code

            with ThreadPoolExecutor(6) as pool:
                codes = sorted(pool.map(rate_once, ["up", "down"] * 3))
        assert codes == [201, 409, 409, 409, 409, 409]
        assert len(ratings(container, cid)) == 1
        assert container.audit.verify().ok
    finally:
        container.close()
