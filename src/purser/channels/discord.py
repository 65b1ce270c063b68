"""Discord (DESIGN §9): the HTTP interactions endpoint, a `/billing` command and Confirm/Cancel buttons.

    Discord ──POST /channels/discord/interactions (Ed25519-signed)──> receive
        verify X-Signature-Ed25519 over X-Signature-Timestamp + body (PyNaCl), timestamp ≤ 5 min old
        type 1 PING                 → {"type": 1} (PONG)
        type 2 /billing message:... → {"type": 5} deferred ("thinking…"), the turn runs in the background
        type 3 Confirm/Cancel press → {"type": 7} the card's buttons disabled, CustomerConfirm in the background
        type 3 quick-reply press    → {"type": 7} the buttons removed, the reply's text as the customer's message
    deliver / send_text ──> the interaction's webhook while its token is valid (15 minutes):
        PATCH webhooks/{application_id}/{token}/messages/@original   the answer in place of "thinking…"
        POST  webhooks/{application_id}/{token}                      every message after it
    later (an approval decided an hour on) ──> the bot's DM with the customer:
        POST users/@me/channels {recipient_id}, POST channels/{dm}/messages   (Authorization: Bot …)

Privacy: in a server (guild) channel everything Purser answers is ephemeral (flag 64: only the
customer sees it), and anything sent after the interaction token expired goes to the customer's
DM, never into the shared channel. In the bot's DM nothing needs hiding. Interaction tokens are
credentials (anyone holding one may post as the app for 15 minutes), so they are kept in memory
only, never in the thread's stored address.

A press on someone else's card is answered with an ephemeral refusal (Discord shows a 403 as
"This interaction failed", which tells the presser nothing) and changes nothing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from purser.agent.events import AgentEvent, CustomerConfirm, CustomerMessage
from purser.channels._discord_api import DiscordApi
from purser.channels._discord_render import (
    EPHEMERAL,
    batch_payloads,
    decided_row,
    parse_custom_id,
    parse_reply_id,
    text_payloads,
)
from purser.channels.base import (
    ChannelDeliveryError,
    ChannelError,
    ChannelNotConfigured,
    ChannelResponse,
    Inbound,
    RawRequest,
    Reception,
    SignatureInvalid,
)
from purser.channels.service import canonical
from purser.config import ConfigError, DiscordSettings
from purser.ports.channels import ChannelName, ChannelThread

if TYPE_CHECKING:
    from purser.channels.links import SignedLinks
    from purser.config import Settings

__all__ = [
    "COMMANDS",
    "MAX_SKEW",
    "TOKEN_LIFETIME",
    "DiscordChannel",
    "build",
    "register_commands",
    "thread_address",
    "thread_key",
]

NAME: Final = ChannelName("discord")
MAX_SKEW: Final = timedelta(minutes=5)
"""A request whose signed timestamp is further from now than this is refused (replayed captures)."""
TOKEN_LIFETIME: Final = timedelta(minutes=14)
"""Interaction tokens live 15 minutes; a minute is kept in hand for the request in flight."""
MAX_MESSAGE: Final = 4000
"""The longest customer message a turn takes (the command option says so too)."""
_RECENT_LIMIT: Final = 10_000

COMMANDS: Final[list[dict[str, Any]]] = [
    {
        "name": "billing",
        "type": 1,  # CHAT_INPUT: a slash command
        "description": "Ask billing support about your plan, invoices, refunds or payments",
        "options": [
            {
                "type": 3,  # STRING
                "name": "message",
                "description": "What you need, in your own words",
                "required": True,
                "min_length": 1,
                "max_length": MAX_MESSAGE,
            }
        ],
        "integration_types": [0],  # installed to a server
        "contexts": [0, 1],  # usable in server channels and in the bot's DM
    }
]
"""The application's commands: `PUT applications/{application_id}/commands` with this body (see `register_commands`)."""

_PONG: Final = 1
_CHANNEL_MESSAGE: Final = 4
_DEFERRED_CHANNEL_MESSAGE: Final = 5
_DEFERRED_UPDATE: Final = 6
_UPDATE_MESSAGE: Final = 7
_AUTOCOMPLETE_RESULT: Final = 8
_USE_COMMAND = "Ask me with the /billing command, for example: /billing message: when is my next charge?"
_NOT_YOURS = "This button belongs to someone else's request, so it can't be used here. Use /billing to ask your own."


def thread_key(channel_id: str, user_id: str) -> str:
    """A Discord thread: one user in one channel (in a server channel, each member has their own)."""
    return f"{channel_id}:{user_id}"


def thread_address(channel_id: str, user_id: str, *, dm: bool) -> dict[str, Any]:
    """How `deliver` reaches a thread (stored as canonical JSON); no interaction token (a credential)."""
    return {"channel_id": channel_id, "user_id": user_id, "dm": dm}


@dataclass(slots=True)
class _Interaction:
    token: str
    channel_id: str
    dm: bool
    at: datetime
    placeholder: bool = False
    """A deferred command whose "thinking…" message still waits for its answer (edited in place)."""


class DiscordChannel:
    """The Discord adapter: verifies interactions, answers at once, and posts the agent's events."""

    name: ChannelName = NAME

    def __init__(
        self,
        settings: DiscordSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        try:
            self._verify_key = VerifyKey(bytes.fromhex(settings.public_key))
        except ValueError:
            raise ConfigError("channels.discord.public_key must be the application's public key in hex") from None
        self.application_id = settings.application_id
        self.api = DiscordApi(
            api_base=settings.api_base, application_id=settings.application_id, bot_token=settings.bot_token
        )
        self.clock = clock
        self._recent: OrderedDict[str, _Interaction] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self.api.close()

    # -- inbound ----------------------------------------------------------------------------------
    def receive(self, request: RawRequest) -> Reception:
        """Verify an interaction (401 when the signature or timestamp is bad), then answer and parse it."""
        if request.path.strip("/") != "interactions" or request.method != "POST":
            raise ChannelError("Discord posts interactions to /channels/discord/interactions")
        self._verify(request)
        interaction = _json_object(request.body)
        kind = interaction.get("type")
        if kind == 1:
            return Reception(_answer({"type": _PONG}))
        if not isinstance(interaction.get("id"), str) or not isinstance(interaction.get("token"), str):
            raise ChannelError("an interaction needs an id and a token")
        if interaction.get("application_id") not in (None, self.application_id):
            raise ChannelError("the interaction is for another application")
        if kind == 2:
            return self._command(interaction, request.received_at)
        if kind == 3:
            return self._press(interaction, request.received_at)
        if kind == 4:  # autocomplete: /billing has no autocompleted option
            return Reception(_answer({"type": _AUTOCOMPLETE_RESULT, "data": {"choices": []}}))
        if isinstance(kind, int):  # modal submits and types added later: acknowledged, nothing done
            return Reception(_reply(_USE_COMMAND))
        raise ChannelError("an interaction needs a numeric type")

    def _verify(self, request: RawRequest) -> None:
        signature = request.headers.get("x-signature-ed25519", "")
        timestamp = request.headers.get("x-signature-timestamp", "")
        if not signature or not timestamp:
            raise SignatureInvalid("missing X-Signature-Ed25519 or X-Signature-Timestamp")
        try:
            signed_at = datetime.fromtimestamp(int(timestamp), UTC)
            raw_signature = bytes.fromhex(signature)
        except (ValueError, OverflowError, OSError):
            raise SignatureInvalid("malformed X-Signature-Ed25519 or X-Signature-Timestamp") from None
        if abs(request.received_at - signed_at) > MAX_SKEW:
            raise SignatureInvalid("stale X-Signature-Timestamp (more than 5 minutes off)")
        try:
            self._verify_key.verify(timestamp.encode() + request.body, raw_signature)
        except (BadSignatureError, ValueError):
            raise SignatureInvalid("the X-Signature-Ed25519 signature does not match") from None

    def _command(self, interaction: Mapping[str, Any], received_at: datetime) -> Reception:
        user_id, display_name = _user(interaction)
        channel_id, dm = _channel(interaction)
        data = interaction.get("data")
        if not isinstance(data, Mapping) or data.get("name") != "billing":
            return Reception(_reply(_USE_COMMAND, ephemeral=not dm))
        text = _option(data, "message").strip()
        if not text:
            return Reception(_reply("Add your question after /billing, in the message option.", ephemeral=not dm))
        if len(text) > MAX_MESSAGE:
            return Reception(_reply(f"Please keep it under {MAX_MESSAGE} characters.", ephemeral=not dm))
        self._remember(user_id, _Interaction(str(interaction["token"]), channel_id, dm, received_at, placeholder=True))
        inbound = self._inbound(interaction, user_id, display_name, channel_id, dm, CustomerMessage(text=text))
        deferred: dict[str, Any] = {"type": _DEFERRED_CHANNEL_MESSAGE}
        if not dm:
            deferred["data"] = {"flags": EPHEMERAL}
        return Reception(_answer(deferred), [inbound])

    def _press(self, interaction: Mapping[str, Any], received_at: datetime) -> Reception:
        user_id, display_name = _user(interaction)
        channel_id, dm = _channel(interaction)
        data = interaction.get("data")
        pressed = str(data.get("custom_id", "")) if isinstance(data, Mapping) else ""
        reply = parse_reply_id(pressed)
        if reply is not None:
            if reply.owner != user_id:
                return Reception(_reply(_NOT_YOURS, ephemeral=True))
            self._remember(user_id, _Interaction(str(interaction["token"]), channel_id, dm, received_at))
            message = CustomerMessage(text=reply.text[:MAX_MESSAGE])
            inbound = self._inbound(interaction, user_id, display_name, channel_id, dm, message)
            return Reception(_answer({"type": _UPDATE_MESSAGE, "data": {"components": []}}), [inbound])
        press = parse_custom_id(pressed)
        if press is None:  # not one of Purser's buttons: acknowledged, nothing done
            return Reception(_answer({"type": _DEFERRED_UPDATE}))
        if press.owner != user_id:
            return Reception(_reply(_NOT_YOURS, ephemeral=True))
        self._remember(user_id, _Interaction(str(interaction["token"]), channel_id, dm, received_at))
        event = CustomerConfirm(action_id=press.action_id, decision=press.decision)
        inbound = self._inbound(interaction, user_id, display_name, channel_id, dm, event)
        update = {"type": _UPDATE_MESSAGE, "data": {"components": [decided_row(press)]}}
        return Reception(_answer(update), [inbound])

    def _inbound(
        self,
        interaction: Mapping[str, Any],
        user_id: str,
        display_name: str,
        channel_id: str,
        dm: bool,
        event: CustomerMessage | CustomerConfirm,
    ) -> Inbound:
        return Inbound(
            channel=NAME,
            event_id=str(interaction["id"]),
            external_id=user_id,
            thread_key=thread_key(channel_id, user_id),
            address=canonical(thread_address(channel_id, user_id, dm=dm)),
            event=event,
            display_name=display_name,
        )

    def _remember(self, user_id: str, interaction: _Interaction) -> None:
        with self._lock:
            known = self._recent.pop(user_id, None)
            if known is not None and known.token == interaction.token:
                interaction = known  # a replay: its placeholder may be answered already
            self._recent[user_id] = interaction
            while len(self._recent) > _RECENT_LIMIT:
                self._recent.popitem(last=False)

    def _fresh_interaction(self, user_id: str, channel_id: str | None) -> _Interaction | None:
        with self._lock:
            recent = self._recent.get(user_id)
        if recent is None or (channel_id is not None and recent.channel_id != channel_id):
            return None
        return recent if self.clock() - recent.at < TOKEN_LIFETIME else None

    def _take_placeholder(self, interaction: _Interaction) -> bool:
        """True once for a deferred command: its first message replaces the "thinking…" placeholder."""
        with self._lock:
            waiting, interaction.placeholder = interaction.placeholder, False
        return waiting

    def _forget(self, user_id: str, token: str) -> None:
        with self._lock:
            recent = self._recent.get(user_id)
            if recent is not None and recent.token == token:
                del self._recent[user_id]

    # -- outbound ---------------------------------------------------------------------------------
    def deliver(self, thread: ChannelThread, events: Sequence[AgentEvent]) -> None:
        """Post the events into the thread: follow-ups while the interaction is fresh, else the bot's DM."""
        address = _address(thread.address)
        user_id = str(address.get("user_id") or thread.external_id)
        channel_id = str(address.get("channel_id", ""))
        dm = bool(address.get("dm"))
        self._post(user_id, channel_id or None, dm, batch_payloads(events, owner=user_id, ephemeral=not dm))

    def send_text(self, external_id: str, text: str, *, thread: ChannelThread | None = None) -> None:
        """A plain message to a Discord user: in their thread (or latest interaction), else in their DM."""
        if thread is not None:
            address = _address(thread.address)
            channel_id: str | None = str(address.get("channel_id", "")) or None
            dm = bool(address.get("dm"))
        else:
            with self._lock:
                recent = self._recent.get(external_id)
            channel_id, dm = (recent.channel_id, recent.dm) if recent is not None else (None, False)
        self._post(external_id, channel_id, dm, text_payloads(text, ephemeral=not dm))

    def _post(self, user_id: str, channel_id: str | None, dm: bool, payloads: list[dict[str, Any]]) -> None:
        dm_channel = channel_id if dm else None
        for payload in payloads:
            interaction = self._fresh_interaction(user_id, channel_id)
            if interaction is not None:
                try:
                    if self._take_placeholder(interaction):
                        # Edits keep the deferral's visibility; flags cannot change on an edit.
                        self.api.edit_original(interaction.token, _without_flags(payload))
                    else:
                        self.api.followup(interaction.token, payload)
                    continue
                except ChannelDeliveryError:  # an expired or revoked token: this and later messages go by DM
                    self._forget(user_id, interaction.token)
            if dm_channel is None:
                dm_channel = self.api.open_dm(user_id)
            self.api.post_message(dm_channel, _without_ephemeral(payload))


def register_commands(settings: Settings | DiscordSettings) -> list[dict[str, Any]]:
    """Register `COMMANDS` as the application's global commands (idempotent: an overwrite); the registered ones."""
    discord = settings if isinstance(settings, DiscordSettings) else settings.channels.discord
    if discord is None:
        raise ChannelNotConfigured("channel 'discord' is not configured (add channels.discord to purser.yaml)")
    api = DiscordApi(api_base=discord.api_base, application_id=discord.application_id, bot_token=discord.bot_token)
    try:
        return api.put_commands(COMMANDS)
    finally:
        api.close()


def build(settings: Settings, *, links: SignedLinks) -> DiscordChannel:
    """The adapter for `channels.discord` (links are not used: confirmations are buttons)."""
    del links
    if settings.channels.discord is None:
        raise ChannelNotConfigured("channel 'discord' is not configured (add channels.discord to purser.yaml)")
    return DiscordChannel(settings.channels.discord)


# -- parsing helpers ---------------------------------------------------------------------------------
def _answer(body: Mapping[str, Any]) -> ChannelResponse:
    return ChannelResponse(body=json.dumps(body, separators=(",", ":")).encode())


def _reply(text: str, *, ephemeral: bool = True) -> ChannelResponse:
    data: dict[str, Any] = {"content": text, "allowed_mentions": {"parse": []}}
    if ephemeral:
        data["flags"] = EPHEMERAL
    return _answer({"type": _CHANNEL_MESSAGE, "data": data})


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ChannelError("the interaction body is not JSON") from None
    if not isinstance(parsed, dict):
        raise ChannelError("the interaction body is not a JSON object")
    return parsed


def _user(interaction: Mapping[str, Any]) -> tuple[str, str]:
    """(user id, display name): `member.user` in a server, `user` in a DM."""
    member = interaction.get("member")
    user = member.get("user") if isinstance(member, Mapping) else interaction.get("user")
    if not isinstance(user, Mapping) or not str(user.get("id", "")).isdigit():
        raise ChannelError("the interaction has no user id (member.user.id or user.id)")
    name = user.get("global_name") or user.get("username") or ""
    return str(user["id"]), str(name)


def _channel(interaction: Mapping[str, Any]) -> tuple[str, bool]:
    """(channel id, is the bot's DM): context 1 is BOT_DM; without `context`, a DM has no guild and type 1."""
    channel = interaction.get("channel")
    channel_id = interaction.get("channel_id") or (channel.get("id") if isinstance(channel, Mapping) else None)
    if not isinstance(channel_id, str) or not channel_id.isdigit():
        raise ChannelError("the interaction has no channel id")
    context = interaction.get("context")
    if context is not None:
        return channel_id, context == 1
    is_dm_channel = isinstance(channel, Mapping) and channel.get("type") == 1
    return channel_id, interaction.get("guild_id") is None and is_dm_channel


def _option(data: Mapping[str, Any], name: str) -> str:
    options = data.get("options")
    if isinstance(options, list):
        for option in options:
            if isinstance(option, Mapping) and option.get("name") == name and isinstance(option.get("value"), str):
                return str(option["value"])
    return ""


def _address(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _without_flags(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "flags"}


def _without_ephemeral(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A bot message cannot be ephemeral (it goes to the DM instead): the flag is dropped."""
    flags = int(payload.get("flags", 0)) & ~EPHEMERAL
    out = {k: v for k, v in payload.items() if k != "flags"}
    if flags:
        out["flags"] = flags
    return out
