"""Attributable approvals over the admin API (DESIGN §11): the actor is the token's person whatever the body
says, limits refuse with nothing changed, two-person approval needs two different people and executes once,
and the role matrix."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.web.conftest import ADMIN, asgi_client, make_container
from tests.web.test_admin_api import over_cap_refund
from tests.web.test_chat_api import first

from purser.app import Container
from purser.policy.schema import Policy


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a person's token."""
    return {"Authorization": f"Bearer {token}"}


class Team:
    """People created through the bootstrap's accounts service; their tokens by name."""

    def __init__(self, container: Container) -> None:
        assert container.people is not None
        self.people = container.people
        self.tokens: dict[str, str] = {}

    def add(self, name: str, role: str, limit: str | None = None, slack: str | None = None) -> dict[str, str]:
        """Create `name` and return their Authorization header."""
        _person, token = self.people.create(name, role, limit=limit, slack_user_id=slack)
        self.tokens[name] = token
        return bearer(token)


def _container(tmp_path: Path, two_person_above: str | None = None) -> Container:
    policy = Policy.from_mapping({"approvals": {"two_person_above": two_person_above}} if two_person_above else {})
    return make_container(tmp_path, policy=policy)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Container]:
    c = _container(tmp_path)
    yield c
    c.close()


@pytest.fixture
async def api(world: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(world) as c:
        yield c


async def _pending(client: httpx.AsyncClient) -> tuple[str, str, dict[str, Any]]:
    cid, action_id = await over_cap_refund(client)
    approvals = (await client.get("/api/admin/approvals", headers=ADMIN)).json()["approvals"]
    request = next(a for a in approvals if a["action_id"] == action_id)
    return cid, request["id"], request


def _decisions(container: Container, action_id: str) -> list[Any]:
    return [r for r in container.audit.records(action_id=action_id) if r.kind == "approval_decision"]


async def _lena_refunds(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    refunds = (await client.get("/api/demo/customers/cus_lena")).json()["refunds"]
    return [r for r in refunds if r["charge"] == "ch_lena_11"]


async def test_an_approval_with_alices_token_is_human_alice_whatever_the_body_says(
    world: Container, api: httpx.AsyncClient
) -> None:
    alice = Team(world).add("alice", "approver", limit="10000.00")
    _cid, apr, request = await _pending(api)
    # The body cannot name the approver: the field is gone, and naming it changes nothing.
    forged = await api.post(
        f"/api/admin/approvals/{apr}", headers=alice, json={"decision": "approve", "approver": "auditor"}
    )
    assert forged.status_code == 422 and "approver" in forged.text
    assert _decisions(world, request["action_id"]) == [] and await _lena_refunds(api) == []
    done = await api.post(f"/api/admin/approvals/{apr}", headers=alice, json={"decision": "approve", "reason": "ok"})
    assert done.status_code == 200, done.text
    assert first(done.json()["events"], "action_result")["status"] == "succeeded"
    [decision] = _decisions(world, request["action_id"])
    assert decision.actor == "human:alice"
    executions = [r for r in world.audit.records(action_id=request["action_id"]) if r.kind == "execution"]
    assert executions[-1].data["approved_by"] == "alice"
    assert (await api.get("/api/admin/approvals?status=approved", headers=alice)).json()["approvals"][0][
        "decided_by"
    ] == "alice"


async def test_an_approver_above_their_limit_is_refused_and_nothing_changes(
    world: Container, api: httpx.AsyncClient
) -> None:
    low = Team(world).add("lowlimit", "approver", limit="1.00")
    _cid, apr, request = await _pending(api)
    refused = await api.post(f"/api/admin/approvals/{apr}", headers=low, json={"decision": "approve"})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "over_approval_limit" and "lowlimit's approval limit of 1.00 USD" in error["message"]
    still = (await api.get("/api/admin/approvals?status=pending", headers=low)).json()["approvals"]
    assert [a["id"] for a in still] == [apr]
    assert _decisions(world, request["action_id"]) == [] and await _lena_refunds(api) == []
    # Denying is within anyone's limit.
    denied = await api.post(f"/api/admin/approvals/{apr}", headers=low, json={"decision": "deny", "reason": "no"})
    assert denied.status_code == 200 and _decisions(world, request["action_id"])[0].actor == "human:lowlimit"


async def test_the_role_matrix(world: Container, api: httpx.AsyncClient) -> None:
    team = Team(world)
    viewer, agent = team.add("vera", "viewer"), team.add("gus", "agent")
    approver, admin = team.add("alice", "approver", limit="500.00"), team.add("root", "admin")
    cid, apr, _request = await _pending(api)
    for headers in (viewer, agent, approver, admin, ADMIN):
        for path in ("/api/admin/approvals", "/api/admin/conversations", "/api/admin/audit", "/api/admin/policy"):
            assert (await api.get(path, headers=headers)).status_code == 200, path
    reply = {"text": "Hello from billing"}
    for headers, status in ((viewer, 403), (agent, 409), (approver, 409)):  # 409: the agent still owns it
        got = await api.post(f"/api/admin/conversations/{cid}/reply", headers=headers, json=reply)
        assert got.status_code == status, got.text
    for headers in (viewer, agent):
        refused = await api.post(f"/api/admin/approvals/{apr}", headers=headers, json={"decision": "approve"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"
        assert "approver" in refused.json()["error"]["message"]
    assert (await api.get("/api/admin/approvals?status=pending", headers=admin)).json()["approvals"][0]["id"] == apr
    ok = await api.post(f"/api/admin/approvals/{apr}", headers=admin, json={"decision": "approve"})
    assert ok.status_code == 200  # an admin has no limit


async def test_tokens_disabled_people_and_the_bootstrap_admin(world: Container, api: httpx.AsyncClient) -> None:
    team = Team(world)
    alice = team.add("alice", "approver", limit="500.00")
    second = bearer(team.people.new_token("alice"))
    assert (await api.get("/api/session/me", headers=alice)).json()["name"] == "alice"
    assert (await api.get("/api/session/me", headers=second)).json()["actor"] == "human:alice"
    assert (await api.get("/api/session/me", headers=ADMIN)).json() | {"role": "admin"} == {
        "name": "admin",
        "role": "admin",
        "actor": "human:admin",
        "approval_limit": None,
    }
    for wrong in ("pst_" + "x" * 43, "nope", team.tokens["alice"] + "x"):
        got = await api.get("/api/admin/approvals", headers=bearer(wrong))
        assert got.status_code == 401 and wrong not in got.text
    team.people.disable("alice")
    for headers in (alice, second):
        refused = await api.get("/api/admin/approvals", headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert (await api.get("/api/admin/approvals")).status_code == 401


async def test_two_person_approval(tmp_path: Path) -> None:
    world = _container(tmp_path, two_person_above="1.00")
    try:
        team = Team(world)
        alice, bob = team.add("alice", "approver", limit="10000.00"), team.add("bob", "approver", limit="10000.00")
        async with asgi_client(world) as api:
            cid, apr, request = await _pending(api)
            first_sign = await api.post(f"/api/admin/approvals/{apr}", headers=alice, json={"decision": "approve"})
            assert first_sign.status_code == 200, first_sign.text
            assert first_sign.json() | {"events": []} == {
                "approval_id": apr,
                "conversation_id": cid,
                "events": [],
                "status": "pending",
                "signers": ["alice"],
            }
            assert await _lena_refunds(api) == [] and _decisions(world, request["action_id"]) == []
            listed = (await api.get("/api/admin/approvals?status=pending", headers=bob)).json()["approvals"]
            assert [(a["id"], a["signers"]) for a in listed] == [(apr, ["alice"])]
            again = await api.post(f"/api/admin/approvals/{apr}", headers=alice, json={"decision": "approve"})
            assert again.status_code == 409 and again.json()["error"]["code"] == "same_approver"
            done = await api.post(f"/api/admin/approvals/{apr}", headers=bob, json={"decision": "approve"})
            assert done.status_code == 200 and done.json()["status"] == "approved"
            assert first(done.json()["events"], "action_result")["status"] == "succeeded"
            assert len(await _lena_refunds(api)) == 1
            late = await api.post(f"/api/admin/approvals/{apr}", headers=alice, json={"decision": "approve"})
            assert late.status_code == 409
            assert len(await _lena_refunds(api)) == 1
        [decision] = _decisions(world, request["action_id"])
        assert decision.actor == "human:bob" and decision.data["signers"] == ["alice", "bob"]
        [signature] = [r for r in world.audit.records(action_id=request["action_id"]) if r.kind == "approval_signature"]
        assert signature.actor == "human:alice"
    finally:
        world.close()
