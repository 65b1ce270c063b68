"""Token buckets per IP and per conversation."""

from __future__ import annotations

import pytest
from tests.web.conftest import asgi_client

from purser.app import Container
from purser.web.app import WebOptions
from purser.web.errors import RateLimited
from purser.web.limits import Rate, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(burst=3, per_second=1), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0  # keys are independent
    clock.now += 1.0
    assert buckets.take("a") == 0
    with pytest.raises(RateLimited) as info:
        buckets.check("a", "conversation")
    assert info.value.headers["Retry-After"] == "1"


def test_buckets_are_bounded() -> None:
    buckets = TokenBuckets(Rate(burst=1, per_second=1), max_keys=10, clock=Clock())
    for n in range(100):
        buckets.take(str(n))
    assert len(buckets) == 10


def test_idle_buckets_expire_once_they_would_be_full_again() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(burst=2, per_second=1), clock=clock)  # full again after 2 s
    for n in range(1000):
        buckets.take(f"visitor-{n}")
        clock.now += 0.01  # 100 new keys a second
    assert len(buckets) <= 201  # only the keys used within the last 2 s (plus the one just taken)
    clock.now += 5
    buckets.take("late")
    assert len(buckets) == 1
    # Dropping a full bucket changes nothing: a returning key still has its whole burst.
    assert [buckets.take("visitor-1") for _ in range(3)] == [0, 0, pytest.approx(1.0)]


def test_an_emptied_bucket_is_kept_while_it_refills() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(burst=1, per_second=0.5), clock=clock)  # full again after 2 s
    assert buckets.take("a") == 0
    clock.now += 1.5
    buckets.take("b")
    assert buckets.take("a") == pytest.approx(0.5)  # still limited: not forgotten early


async def test_per_ip_limit(container: Container) -> None:
    options = WebOptions(ip_rate=Rate(burst=3, per_second=0.001))
    async with asgi_client(container, options) as client:
        statuses = [(await client.get("/api/health")).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        response = await client.get("/api/health")
        assert response.json()["error"]["code"] == "rate_limited"
        assert int(response.headers["retry-after"]) >= 1
        assert (await client.get("/")).status_code == 200  # pages are not API calls


async def test_per_conversation_limit(container: Container) -> None:
    options = WebOptions(conversation_rate=Rate(burst=1, per_second=0.001))
    async with asgi_client(container, options) as client:
        cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
        other = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
        bad = {"type": "confirm", "action_id": "act_none", "decision": "no"}
        first = await client.post(f"/api/conversations/{cid}/events", json=bad)
        assert first.status_code == 409  # counted, refused by the runtime
        second = await client.post(f"/api/conversations/{cid}/events", json=bad)
        assert second.status_code == 429
        assert (await client.post(f"/api/conversations/{other}/events", json=bad)).status_code == 409


async def test_conversation_creation_limit_per_customer(container: Container) -> None:
    options = WebOptions(create_rate=Rate(burst=2, per_second=0.001))
    async with asgi_client(container, options) as client:
        codes = [
            (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        assert (await client.post("/api/conversations", json={"customer_id": "cus_ben"})).status_code == 200
