"""The channel service, platform-neutral: a small signed adapter of the `Channel` protocol drives it.

The platform adapters have their own end-to-end tests against local platform servers; here the
service's own rules are checked: linked users get turns in one conversation per thread, unlinked
users get knowledge-base answers only, replays run once, bad signatures and non-approvers change
nothing, and every later event of a conversation (an approval's outcome) is delivered to its thread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from purser.agent.events import AgentEvent, ConfirmationRequest, CustomerConfirm, CustomerMessage
from purser.app import Container, build, build_identity, read_state
from purser.channels.base import (
    ApprovalDecision,
    ChannelError,
    ChannelForbidden,
    ChannelResponse,
    Inbound,
    RawRequest,
    Reception,
    SignatureInvalid,
    Work,
)
from purser.channels.service import ChannelService, canonical
from purser.config import Settings
from purser.policy.schema import Policy
from purser.ports.channels import ChannelName, ChannelThread
from purser.store.channels import SqlChannelRepository
from purser.web.app import create_app
from purser.worlds.seed import seed

SECRET = b"loopback-secret"
NAME = ChannelName("slack")  # the loopback adapter stands where a platform adapter would


class LoopbackChannel:
    """A minimal signed platform: JSON bodies, HMAC-SHA256 of the body in `x-loop-signature`."""

    name = NAME

    def __init__(self) -> None:
        self.delivered: list[tuple[str, list[AgentEvent]]] = []
        self.texts: list[tuple[str, str]] = []

    def receive(self, request: RawRequest) -> Reception:
        expected = hmac.new(SECRET, request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-loop-signature", ""), expected):
            raise SignatureInvalid("bad loopback signature")
        try:
            body = json.loads(request.body)
        except ValueError:
            raise ChannelError("body is not JSON") from None
        work: Work
        if "approve" in body:
            work = ApprovalDecision(NAME, body["id"], body["approval_id"], bool(body["approve"]), body["user"])
        else:
            event = (
                CustomerConfirm(action_id=body["confirm"], decision=body["decision"])
                if "confirm" in body
                else CustomerMessage(text=body["text"])
            )
            work = Inbound(NAME, body["id"], body["user"], body["thread"], canonical({"to": body["thread"]}), event)
        return Reception(ChannelResponse(200, b'{"ok":true}'), [work])

    def deliver(self, thread: ChannelThread, events: Sequence[AgentEvent]) -> None:
        self.delivered.append((thread.thread_key, list(events)))

    def send_text(self, external_id: str, text: str, *, thread: ChannelThread | None = None) -> None:
        self.texts.append((external_id, text))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Container, ChannelService, LoopbackChannel]]:
    policy = Policy.from_mapping({"refunds": {"max_amount": "10.00"}}, source="test")
    container = build(Settings(database_url=f"sqlite:///{tmp_path / 'purser.db'}", policy=policy))
    seed(container.processor)
    adapter = LoopbackChannel()
    service = ChannelService(
        runtime=container.runtime,
        gateway=container.gateway,
        repo=SqlChannelRepository(container.db),
        identity=build_identity(container.settings, container.db, container.processor),
        adapters={NAME: adapter},
        knowledge=container.knowledge,
        approvers=lambda channel, user: f"slack:{user}" if user == "UAPPROVER" else None,
    )
    container.channels = service
    yield container, service, adapter
    container.close()


def signed(body: dict[str, Any]) -> RawRequest:
    raw = json.dumps(body).encode()
    signature = hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    return RawRequest("POST", "events", {"x-loop-signature": signature}, {}, raw, datetime.now(UTC))


def events_of(adapter: LoopbackChannel, thread: str) -> list[AgentEvent]:
    return [e for key, batch in adapter.delivered if key == thread for e in batch]


def test_a_linked_user_is_answered_in_their_thread_and_confirms_one_refund(
    world: tuple[Container, ChannelService, LoopbackChannel],
) -> None:
    container, service, adapter = world
    service.identity.link("slack", "U1", "cus_ana", by="admin:test")
    service.receive("slack", signed({"id": "e1", "user": "U1", "thread": "D1", "text": "what's my plan?"}))
    service.drain()
    first = events_of(adapter, "D1")
    assert first and "Pro" in " ".join(getattr(e, "text", "") for e in first)
    service.receive("slack", signed({"id": "e2", "user": "U1", "thread": "D1", "text": "please refund my last charge"}))
    service.drain()
    cards = [e for e in events_of(adapter, "D1") if isinstance(e, ConfirmationRequest)]
    assert len(cards) == 1 and cards[0].action == "refund"
    before = set(read_state(container.db).refunds)
    press = {"id": "e3", "user": "U1", "thread": "D1", "confirm": cards[0].action_id, "decision": "yes"}
    service.receive("slack", signed(press))
    service.receive("slack", signed(press))  # the platform retried: same event id
    service.receive("slack", signed(press | {"id": "e4"}))  # a second press: the action is no longer pending
    service.drain()
    assert len(set(read_state(container.db).refunds) - before) == 1
    thread = service.repo.thread(NAME, "D1")
    assert thread is not None and thread.customer_id == "cus_ana"
    assert len({t.conversation_id for t in [thread]}) == 1
    assert any("no longer active" in text for _, text in adapter.texts)


def test_an_unlinked_user_gets_knowledge_answers_and_never_account_data(
    world: tuple[Container, ChannelService, LoopbackChannel],
) -> None:
    container, service, adapter = world
    service.receive("slack", signed({"id": "e1", "user": "U2", "thread": "D2", "text": "how long do refunds take?"}))
    service.drain()
    assert adapter.delivered == []
    assert service.repo.thread(NAME, "D2") is None
    ((user, text),) = adapter.texts
    assert user == "U2" and "email address on your account" in text
    assert "cus_" not in text and "4242" not in text
    assert container.runtime.conversations(limit=10) == []


def test_bad_signatures_and_malformed_bodies_record_nothing(
    world: tuple[Container, ChannelService, LoopbackChannel],
) -> None:
    _, service, adapter = world
    request = signed({"id": "e1", "user": "U1", "thread": "D1", "text": "hi"})
    forged = RawRequest("POST", "events", {"x-loop-signature": "0" * 64}, {}, request.body, request.received_at)
    with pytest.raises(SignatureInvalid):
        service.receive("slack", forged)
    assert service.repo.first_sighting(NAME, "e1", "now") is True  # the forged request left no trace
    with pytest.raises(ChannelError):
        service.receive(
            "slack",
            RawRequest(
                "POST",
                "events",
                {"x-loop-signature": hmac.new(SECRET, b"{", hashlib.sha256).hexdigest()},
                {},
                b"{",
                request.received_at,
            ),
        )
    assert adapter.texts == [] and adapter.delivered == []


def test_only_approvers_decide_and_the_customer_hears_the_outcome(
    world: tuple[Container, ChannelService, LoopbackChannel],
) -> None:
    container, service, adapter = world
    service.identity.link("slack", "U1", "cus_acme", by="admin:test")
    service.receive("slack", signed({"id": "e1", "user": "U1", "thread": "D1", "text": "please refund my last charge"}))
    service.drain()
    card = next(e for e in events_of(adapter, "D1") if isinstance(e, ConfirmationRequest))
    service.receive(
        "slack", signed({"id": "e2", "user": "U1", "thread": "D1", "confirm": card.action_id, "decision": "yes"})
    )
    service.drain()
    pending = [r for r in container.gateway.approvals() if r.status == "pending"]
    assert len(pending) == 1, [e.type for e in events_of(adapter, "D1")]
    decision = {"id": "e3", "user": "UNOBODY", "approval_id": str(pending[0].id), "approve": True}
    with pytest.raises(ChannelForbidden):
        service.receive("slack", signed(decision))
    assert [r.status for r in container.gateway.approvals()] == ["pending"]
    before = len(adapter.delivered)
    service.receive("slack", signed(decision | {"id": "e4", "user": "UAPPROVER"}))
    service.drain()
    assert [r.status for r in container.gateway.approvals()] != ["pending"]
    later = [e for _, batch in adapter.delivered[before:] for e in batch]
    assert any(getattr(e, "type", "") in ("action_result", "message") for e in later)


def test_the_web_route_answers_the_platform_and_maps_errors(
    world: tuple[Container, ChannelService, LoopbackChannel],
) -> None:
    container, service, _ = world
    client = TestClient(create_app(container))
    request = signed({"id": "e1", "user": "U2", "thread": "D2", "text": "hello"})
    ok = client.post("/channels/slack/events", content=request.body, headers=dict(request.headers))
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    bad = client.post("/channels/slack/events", content=request.body, headers={"x-loop-signature": "x"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "signature_invalid"
    missing = client.post("/channels/discord/interactions", content=b"{}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "channel_not_configured"
    unknown = client.post("/channels/fax/events", content=b"{}")
    assert unknown.status_code in (404, 422)
    service.drain()


def test_a_teammates_reply_from_the_dashboard_reaches_the_customers_thread(
    world: tuple[Container, ChannelService, LoopbackChannel],
) -> None:
    from purser.agent.live import loop_runner

    container, service, adapter = world
    service.identity.link("slack", "U1", "cus_ana", by="admin:test")
    service.receive("slack", signed({"id": "e1", "user": "U1", "thread": "D1", "text": "I want to talk to a human"}))
    service.drain()
    thread = service.repo.thread(NAME, "D1")
    assert thread is not None
    assert container.runtime.conversation(thread.conversation_id).handed_off
    loop_runner().run(container.runtime.ahuman_reply(thread.conversation_id, "Hi Ana, Maria here.", author="maria"))
    service.drain()
    assert "Hi Ana, Maria here." in [getattr(e, "text", "") for e in events_of(adapter, "D1")]
