"""The local Slack Web API speaks Slack's wire format (checked with slack_sdk's own WebClient), and the
adapter turns Slack's refusals and outages into `ChannelDeliveryError`s that never carry the token.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from purser.agent.events import AgentMessage
from purser.app import memory_database
from purser.channels.base import ChannelDeliveryError
from purser.channels.slack import SlackChannel
from purser.config import SlackSettings
from purser.ports.channels import ChannelName, ChannelThread
from purser.store.channels import SqlChannelRepository
from purser.store.db import Database
from purser.testing.slack import SlackApiServer, dm_channel


@pytest.fixture
def server() -> Iterator[SlackApiServer]:
    with SlackApiServer() as running:
        yield running


def _client(server: SlackApiServer, token: str | None = None) -> WebClient:
    return WebClient(token=token or server.bot_token, base_url=server.api_base, retry_handlers=[])


def test_web_client_calls_are_answered_like_slack(server: SlackApiServer) -> None:
    client = _client(server)
    assert client.auth_test()["user_id"] == "U0PURSERBOT"
    opened = client.conversations_open(users="U42")
    assert opened["channel"]["id"] == dm_channel("U42")
    posted = client.chat_postMessage(channel=opened["channel"]["id"], text="hi *there*")
    assert posted["ok"] and posted["message"]["text"] == "hi *there*" and posted["message"]["bot_id"]
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited")
    assert updated["text"] == "edited" and server.messages[(posted["channel"], posted["ts"])]["text"] == "edited"
    [call] = server.posts()
    assert call.headers["authorization"] == f"Bearer {server.bot_token}"
    assert call.body == {"channel": dm_channel("U42"), "text": "hi *there*"}
    assert [c.method for c in server.calls] == ["auth.test", "conversations.open", "chat.postMessage", "chat.update"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.api_call("chat.postMessage", json={"channel": "D1", "text": ""}), "no_text"),
        (lambda c: c.chat_postMessage(channel="nowhere", text="x"), "channel_not_found"),
        (
            lambda c: c.chat_postMessage(channel="D1", text="x", blocks=[{"type": "section", "fields": [{}] * 11}]),
            "invalid_blocks",
        ),
        (lambda c: c.chat_update(channel="D1", ts="1.000001", text="x"), "message_not_found"),
        (lambda c: c.conversations_open(users=""), "users_list_not_supplied"),
        (lambda c: c.api_call("chat.delete", json={"channel": "D1", "ts": "1.1"}), "unknown_method"),
    ],
)
def test_bad_calls_get_slacks_errors(server: SlackApiServer, call: object, error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        call(_client(server))  # type: ignore[operator]
    assert raised.value.response["error"] == error


def test_a_wrong_or_missing_token_is_refused(server: SlackApiServer) -> None:
    with pytest.raises(SlackApiError) as raised:
        _client(server, "xoxb-wrong").chat_postMessage(channel="D1", text="x")
    assert raised.value.response["error"] == "invalid_auth"
    unauthenticated = WebClient(base_url=server.api_base, retry_handlers=[])
    with pytest.raises(SlackApiError) as raised:
        unauthenticated.api_call("chat.postMessage", json={"channel": "D1", "text": "x"})
    assert raised.value.response["error"] == "not_authed"
    assert server.posts() == []


def _thread(channel: str) -> ChannelThread:
    address = f'{{"channel":"{channel}"}}'
    return ChannelThread(ChannelName("slack"), channel, "conv_1", "cus_1", "U1", address, None, "2026-12-01T00:00:00Z")


def _adapter(api_base: str, token: str) -> SlackChannel:
    settings = SlackSettings(signing_secret="s", bot_token=token, api_base=api_base)
    return SlackChannel(settings, SqlChannelRepository(memory_database()))


def test_slack_refusing_the_token_is_a_delivery_error_naming_the_method_not_the_token(server: SlackApiServer) -> None:
    adapter = _adapter(server.api_base, "xoxb-revoked-123")
    with pytest.raises(ChannelDeliveryError) as raised:
        adapter.deliver(_thread("D1"), [AgentMessage(text="hello")])
    assert str(raised.value) == "Slack chat.postMessage failed: invalid_auth"
    with pytest.raises(ChannelDeliveryError, match=r"conversations\.open failed: invalid_auth"):
        adapter.send_text("U1", "hello")


def test_slack_not_answering_is_a_delivery_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = _adapter(f"http://127.0.0.1:{port}/api/", "xoxb-secret-token")
    with pytest.raises(ChannelDeliveryError) as raised:
        adapter.deliver(_thread("D1"), [AgentMessage(text="hello")])
    assert "chat.postMessage" in str(raised.value) and "xoxb" not in str(raised.value)


def test_send_text_opens_a_dm_for_a_user_without_a_thread(server: SlackApiServer) -> None:
    _adapter(server.api_base, server.bot_token).send_text("U77", "Your code is on its way.")
    assert [c.method for c in server.calls] == ["conversations.open", "chat.postMessage"]
    assert server.calls[0].body == {"users": "U77"}
    assert server.posts()[0].body["channel"] == dm_channel("U77")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlChannelRepository:
    url = f"sqlite:///{tmp_path}/slack.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    db.create_all()
    request.addfinalizer(db.dispose)
    return SqlChannelRepository(db)


def test_the_team_desk_keeps_its_posts_in_the_store(server: SlackApiServer, store: SqlChannelRepository) -> None:
    settings = SlackSettings(
        signing_secret="s", bot_token=server.bot_token, api_base=server.api_base,
        approvals_channel="C0APPROVALS", team_channel="C0TEAM",
    )  # fmt: skip
    desk = SlackChannel(settings, store)
    desk.post_handoff(conversation_id="conv_9", customer_id="cus_1", channel="web", reason="dispute", summary="s")
    [handoff] = server.posts("C0TEAM")
    # Another process (a fresh adapter over the same store) finds the conversation of the thread.
    other = SlackChannel(settings, store)
    assert other.rules.handoff_of("C0TEAM", handoff.response["ts"]) == "conv_9"
    assert other.rules.handoff_of("C0TEAM", "1.000001") is None
    assert store.thread_of("conv_9") is None  # not a customer thread

    desk.post_approval(
        approval_id="apr_9", conversation_id="conv_9", customer_id="cus_1", action="refund", summary="s", amount="$5.00"
    )
    desk.post_approval(
        approval_id="apr_9", conversation_id="conv_9", customer_id="cus_1", action="refund", summary="s", amount="$5.00"
    )
    [request] = server.posts("C0APPROVALS")  # a retried post does not post twice
    other.approval_decided(approval_id="apr_9", approve=True, approver="slack:U1", outcome="Refunded $5.00.")
    desk.approval_decided(approval_id="apr_9", approve=False, approver="slack:U2", outcome="late")
    [update] = [c for c in server.calls if c.method == "chat.update"]
    assert update.body["ts"] == request.response["ts"] and "Approved by <@U1>" in str(update.body["blocks"])
