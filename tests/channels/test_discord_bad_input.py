"""Discord refusals: bad signatures, stale timestamps, replays, oversized and malformed bodies.

Each refusal is checked for its status and for its effect: nothing posted to Discord, no
conversation started, the sandbox unchanged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from nacl.signing import SigningKey

from purser.app import read_state
from purser.testing.discord import DiscordServer, sign

from .test_discord import ENDPOINT, GUILD, GUILD_CHANNEL, Rig, open_rig


@pytest.fixture
def rig() -> Iterator[Rig]:
    with DiscordServer() as server:
        rig = open_rig(server)
        yield rig
        rig.drain()
        rig.container.close()


@pytest.fixture
def maya(rig: Rig) -> dict[str, Any]:
    user = rig.discord.user("Maya Jensen")
    rig.link(user)
    return user


def assert_nothing_happened(rig: Rig) -> None:
    """No call to Discord, no conversation, the sandbox untouched."""
    rig.drain()
    assert rig.discord.calls == []
    assert rig.container.runtime.conversations(limit=10) == []
    assert rig.refunds() == []


def refused(rig: Rig, body: bytes, headers: dict[str, str], status: int, code: str) -> None:
    answer = rig.client.post(ENDPOINT, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def test_missing_wrong_or_malformed_signatures_are_401(rig: Rig, maya: dict[str, Any]) -> None:
    body, headers = rig.discord.signed(rig.discord.command(maya, "please refund this month's charge"))
    refused(rig, body, {"Content-Type": "application/json"}, 401, "signature_invalid")
    without_stamp = {k: v for k, v in headers.items() if k != "X-Signature-Timestamp"}
    refused(rig, body, without_stamp, 401, "signature_invalid")
    other_key = sign(SigningKey.generate(), body)  # a real signature, by a key that is not the app's
    refused(rig, body, other_key, 401, "signature_invalid")
    tampered = body.replace(b"refund", b"refunx")  # signed body altered after signing
    refused(rig, tampered, headers, 401, "signature_invalid")
    refused(rig, body, headers | {"X-Signature-Ed25519": "not hex"}, 401, "signature_invalid")
    refused(rig, body, headers | {"X-Signature-Ed25519": "ab" * 10}, 401, "signature_invalid")
    refused(rig, body, headers | {"X-Signature-Timestamp": "yesterday"}, 401, "signature_invalid")
    assert_nothing_happened(rig)


def test_stale_and_future_timestamps_are_401_even_when_correctly_signed(rig: Rig, maya: dict[str, Any]) -> None:
    interaction = rig.discord.command(maya, "when is my next charge?")
    for skew in (-6 * 60, 6 * 60):
        body, headers = rig.discord.signed(interaction, timestamp=int(time.time()) + skew)
        refused(rig, body, headers, 401, "signature_invalid")
    body, headers = rig.discord.signed(interaction, timestamp=int(time.time()) - 4 * 60)  # inside the window
    assert rig.client.post(ENDPOINT, content=body, headers=headers).status_code == 200
    rig.drain()
    assert len(rig.discord.calls) == 1


def test_an_oversized_body_is_413_before_any_parsing(rig: Rig, maya: dict[str, Any]) -> None:
    interaction = rig.discord.command(maya, "x") | {"padding": "x" * (65 * 1024)}
    body, headers = rig.discord.signed(interaction)
    answer = rig.client.post(ENDPOINT, content=body, headers=headers)
    assert answer.status_code == 413
    assert_nothing_happened(rig)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', json.dumps({"type": 2}).encode(), json.dumps({"id": "1", "type": 2}).encode()],
    ids=["broken", "array", "string", "no-id", "no-token"],
)
def test_a_correctly_signed_malformed_body_is_400(rig: Rig, body: bytes) -> None:
    refused(rig, body, sign(rig.discord.signing_key, body), 400, "channel_bad_request")
    assert_nothing_happened(rig)


def test_an_interaction_without_a_user_or_channel_is_400(rig: Rig, maya: dict[str, Any]) -> None:
    no_user = {k: v for k, v in rig.discord.command(maya, "hi").items() if k != "user"}
    body, headers = rig.discord.signed(no_user)
    refused(rig, body, headers, 400, "channel_bad_request")
    no_channel = {k: v for k, v in rig.discord.command(maya, "hi").items() if k not in ("channel_id", "channel")}
    body, headers = rig.discord.signed(no_channel)
    refused(rig, body, headers, 400, "channel_bad_request")
    assert_nothing_happened(rig)


def test_a_replayed_interaction_runs_once_and_is_answered_once(rig: Rig, maya: dict[str, Any]) -> None:
    body, headers = rig.discord.signed(rig.discord.command(maya, "when is my next charge?"))
    first = rig.client.post(ENDPOINT, content=body, headers=headers)
    rig.drain()
    again = rig.client.post(ENDPOINT, content=body, headers=headers)
    rig.drain()
    assert first.json() == again.json() == {"type": 5}
    assert len(rig.discord.calls) == 1
    [conversation] = rig.container.runtime.conversations(limit=10)
    assert conversation.channel == "discord"
    rig.adapter().send_text(str(maya["id"]), "Anything else?")  # the replay did not re-arm "thinking…"
    assert [c.method for c in rig.discord.calls] == ["PATCH", "POST"]


def test_other_interaction_types_are_acknowledged_and_do_nothing(rig: Rig, maya: dict[str, Any]) -> None:
    modal = rig.discord.command(maya, "hi") | {"type": 5, "data": {"custom_id": "m", "components": []}}
    answer = rig.post(modal)
    assert answer.status_code == 200 and answer.json()["type"] == 4 and answer.json()["data"]["flags"] == 64
    autocomplete = rig.discord.command(maya, "hi") | {"type": 4}
    assert rig.post(autocomplete).json() == {"type": 8, "data": {"choices": []}}
    other_command = rig.discord.command(maya, "hi")
    other_command["data"]["name"] = "weather"
    assert "/billing" in rig.post(other_command).json()["data"]["content"]
    not_ours = rig.discord.command(maya, "hi") | {"type": 3, "data": {"custom_id": "poll:1", "component_type": 2}}
    assert rig.post(not_ours).json() == {"type": 6}
    unsigned_get = rig.client.get(ENDPOINT)
    assert unsigned_get.status_code == 400
    assert_nothing_happened(rig)


def test_an_empty_or_too_long_message_gets_a_polite_ephemeral_answer(rig: Rig, maya: dict[str, Any]) -> None:
    in_server = {"channel_id": GUILD_CHANNEL, "guild_id": GUILD}
    for text, says in (("   ", "Add your question"), ("x" * 4001, "under 4000")):
        answer = rig.post(rig.discord.command(maya, text, **in_server))
        assert answer.status_code == 200
        data = answer.json()["data"]
        assert answer.json()["type"] == 4 and data["flags"] == 64 and says in data["content"]
    assert_nothing_happened(rig)


def test_a_press_for_a_stale_action_changes_nothing_and_says_so(rig: Rig, maya: dict[str, Any]) -> None:
    before = read_state(rig.container.db)
    rig.post(rig.discord.command(maya, "when is my next charge?"))
    rig.drain()
    message = rig.discord.calls[-1].response
    stale = f"purser:yes:act_000000000000000000000000:{maya['id']}:refund"
    answer = rig.post(rig.discord.press(maya, message, stale))
    assert answer.status_code == 200 and answer.json()["type"] == 7
    rig.drain()
    assert "no longer active" in rig.discord.calls[-1].json["content"]
    assert read_state(rig.container.db) == before
