"""Discord rendering and the REST client, against the local Discord API where a call is made.

Properties: every amount a card shows is the exact `Money` of the quote, a button's `custom_id`
always fits Discord's 100 characters and reads back as the same press, long text is cut into
messages Discord accepts without losing a word. The client's errors name the API call and never a
token; an expired interaction token makes the adapter fall back to the bot's DM.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purser.agent.events import ActionResult, AgentMessage, ConfirmationRequest
from purser.channels._discord_api import DiscordApi
from purser.channels._discord_render import (
    CONTENT_LIMIT,
    CUSTOM_ID_LIMIT,
    batch_payloads,
    custom_id,
    decided_row,
    message_payloads,
    parse_custom_id,
    split_content,
)
from purser.channels.base import ChannelDeliveryError, RawRequest
from purser.channels.discord import DiscordChannel, thread_address, thread_key
from purser.channels.service import canonical
from purser.config import ConfigError
from purser.money import Money
from purser.ports.channels import ChannelName, ChannelThread
from purser.testing.discord import DiscordServer

USER = "123456789012345678"
CURRENCIES = st.sampled_from(["usd", "eur", "gbp", "jpy", "bhd"])


@pytest.fixture
def discord() -> Iterator[DiscordServer]:
    with DiscordServer() as server:
        yield server


@pytest.fixture
def adapter(discord: DiscordServer) -> Iterator[DiscordChannel]:
    channel = DiscordChannel(discord.settings())
    yield channel
    channel.close()


@settings(max_examples=60, deadline=None)
@given(minor=st.integers(min_value=0, max_value=10**12), currency=CURRENCIES)
def test_a_cards_amount_is_the_quotes_money_exactly(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    event = ConfirmationRequest(
        action_id="act_1", action="refund", summary="Refund", quote={"amount": money.amount_str(), "currency": currency}
    )
    [card] = message_payloads(event, owner=USER, ephemeral=False)
    fields = {f["name"]: f["value"] for f in card["embeds"][0]["fields"]}
    assert fields["Amount"] == money.format()


@settings(max_examples=80, deadline=None)
@given(
    action_id=st.from_regex(r"act_[0-9a-f]{24}", fullmatch=True),
    owner=st.from_regex(r"[1-9][0-9]{16,19}", fullmatch=True),
    action=st.text(min_size=1, max_size=200),
    decision=st.sampled_from(["yes", "no"]),
)
def test_a_custom_id_fits_and_reads_back_as_the_same_press(
    action_id: str, owner: str, action: str, decision: Any
) -> None:
    value = custom_id(decision, action_id, owner, action)
    assert len(value) <= CUSTOM_ID_LIMIT
    press = parse_custom_id(value)
    assert press is not None
    assert (press.decision, press.action_id, press.owner) == (decision, action_id, owner)
    assert action.replace(":", "_").startswith(press.action)


def test_foreign_custom_ids_are_not_presses() -> None:
    for value in ("", "poll:1", "purser:maybe:act_1:1:refund", "purser:yes::1:refund", "purser:yes:act_1:me:refund"):
        assert parse_custom_id(value) is None


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n€"), min_size=0, max_size=6000))
def test_long_text_is_cut_into_messages_discord_accepts_without_losing_words(text: str) -> None:
    chunks = split_content(text)
    assert all(0 < len(c) <= CONTENT_LIMIT for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_a_pressed_cards_buttons_are_disabled_and_the_choice_shows() -> None:
    press = parse_custom_id(custom_id("no", "act_1", USER, "cancel_subscription"))
    assert press is not None
    confirm, cancel = decided_row(press)["components"]
    assert confirm["disabled"] and cancel["disabled"] and cancel["label"] == "Cancelled" and cancel["style"] == 4


def test_an_outcome_repeated_as_a_message_is_posted_once() -> None:
    events = [
        ActionResult(action_id="act_1", status="succeeded", summary="Refunded $20.00."),
        AgentMessage(text="Refunded $20.00."),
        AgentMessage(text="Anything else?"),
    ]
    contents = [p["content"] for p in batch_payloads(events, owner=USER, ephemeral=True)]
    assert contents == ["✅ Refunded $20.00.", "Anything else?"]


def test_a_public_key_that_is_not_hex_is_a_configuration_error(discord: DiscordServer) -> None:
    with pytest.raises(ConfigError, match="public_key"):
        DiscordChannel(discord.settings().model_copy(update={"public_key": "z" * 64}))


def test_client_errors_name_the_call_and_never_a_token(discord: DiscordServer) -> None:
    api = DiscordApi(api_base=discord.api_base, application_id=discord.application_id, bot_token="secret-bot-token")
    with pytest.raises(ChannelDeliveryError) as bot:
        api.open_dm(USER)
    assert "create DM" in str(bot.value) and "401" in str(bot.value) and "secret-bot-token" not in str(bot.value)
    with pytest.raises(ChannelDeliveryError) as webhook:
        api.followup("an-interaction-token-nobody-issued", {"content": "hi"})
    message = str(webhook.value)
    assert "Invalid Webhook Token" in message and "an-interaction-token" not in message
    api.close()
    discord.close()
    down = DiscordApi(api_base=discord.api_base, application_id=discord.application_id, bot_token=discord.bot_token)
    with pytest.raises(ChannelDeliveryError, match="no answer"):
        down.followup("tok", {"content": "hi"})
    down.close()


def _receive(adapter: DiscordChannel, discord: DiscordServer, interaction: dict[str, Any]) -> None:
    body, headers = discord.signed(interaction)
    request = RawRequest(
        method="POST",
        path="interactions",
        headers={k.lower(): v for k, v in headers.items()},
        query={},
        body=body,
        received_at=datetime.now(UTC),
    )
    adapter.receive(request)


def _thread(channel_id: str, user_id: str, *, dm: bool) -> ChannelThread:
    return ChannelThread(
        channel=ChannelName("discord"),
        thread_key=thread_key(channel_id, user_id),
        conversation_id="conv_1",
        customer_id="cus_1",
        external_id=user_id,
        address=canonical(thread_address(channel_id, user_id, dm=dm)),
        last_inbound_at=None,
        updated_at="2026-11-16T00:00:00Z",
    )


def test_a_refused_interaction_token_falls_back_to_the_bots_dm(adapter: DiscordChannel, discord: DiscordServer) -> None:
    user = discord.user("Maya")
    _receive(adapter, discord, discord.command(user, "hi", channel_id="700000000000000002", guild_id="7"))
    thread = _thread("700000000000000002", str(user["id"]), dm=False)
    adapter.deliver(thread, [AgentMessage(text="first")])
    discord.expire_tokens()  # Discord refuses the token earlier than the adapter expected
    adapter.deliver(thread, [AgentMessage(text="second"), AgentMessage(text="third")])
    routes = [(c.path.split("/")[0], c.status, (c.json or {}).get("content")) for c in discord.calls]
    assert routes == [
        ("webhooks", 200, "first"),  # PATCH @original: in place of "thinking…"
        ("webhooks", 401, "second"),  # POST follow-up: refused
        ("users", 200, None),
        ("channels", 200, "second"),
        ("channels", 200, "third"),  # the dead token is not tried again
    ]
    assert [c.method for c in discord.calls[:2]] == ["PATCH", "POST"] and discord.calls[1].json["flags"] == 64
    assert "flags" not in discord.calls[3].json


def test_a_long_reply_goes_as_several_messages(adapter: DiscordChannel, discord: DiscordServer) -> None:
    user = discord.user("Maya")
    _receive(adapter, discord, discord.command(user, "hi"))
    dm = discord.dm_channel(str(user["id"]))
    text = "\n".join(f"Line {i}: " + "word " * 30 for i in range(40))
    adapter.deliver(_thread(dm, str(user["id"]), dm=True), [AgentMessage(text=text)])
    posted = [c for c in discord.calls if c.status == 200]
    assert len(posted) >= 3 and all(len(c.json["content"]) <= CONTENT_LIMIT for c in posted)
    assert " ".join(c.json["content"] for c in posted).split() == text.split()
    assert all(c.json["content"].startswith("Line ") for c in posted)  # cut at line breaks


def test_a_message_to_a_user_without_a_thread_opens_their_dm(adapter: DiscordChannel, discord: DiscordServer) -> None:
    adapter.send_text(USER, "Your code is on its way.")
    dm, message = discord.calls
    assert dm.path == "users/@me/channels" and dm.json == {"recipient_id": USER}
    assert message.path == f"channels/{dm.response['id']}/messages" and message.json["content"].startswith("Your code")
    assert json.dumps(message.json).count("flags") == 0


def test_after_the_token_expired_a_dm_thread_gets_the_bots_message_in_that_dm(
    adapter: DiscordChannel, discord: DiscordServer
) -> None:
    user = discord.user("Maya")
    _receive(adapter, discord, discord.command(user, "hi"))
    dm = discord.dm_channel(str(user["id"]))
    adapter.clock = lambda: datetime.now(UTC) + timedelta(minutes=20)
    adapter.deliver(_thread(dm, str(user["id"]), dm=True), [AgentMessage(text="Your refund went through.")])
    [call] = discord.calls
    assert (call.path, call.status) == (f"channels/{dm}/messages", 200)
    assert call.json["content"] == "Your refund went through."
    assert call.headers["authorization"] == f"Bot {discord.bot_token}"
