"""A local Discord: the REST API Purser calls, plus interactions signed as Discord signs them.

    with DiscordServer() as discord:                       # 127.0.0.1:<free port>, /api/v10/
        settings = Settings(channels={"discord": discord.settings()})
        user = discord.user("Maya")
        body, headers = discord.signed(discord.command(user, "when is my next charge?"))
        client.post("/channels/discord/interactions", content=body, headers=headers)
        discord.calls                                      # every API call Purser made, in order

The server answers like Discord: follow-ups on `webhooks/{application_id}/{token}` only with a
token it issued in an interaction less than 15 minutes ago (else 401 "Invalid Webhook Token",
code 50027); bot calls only with `Authorization: Bot <bot_token>` (else 401, code 0); message
bodies checked as Discord checks them (content ≤ 2000 characters, embeds and their fields, button
rows, custom_id ≤ 100; an empty message is 400, code 50006), answered with message objects
carrying snowflake ids. Interactions are signed with a real Ed25519 key (PyNaCl): `X-Signature-
Ed25519` over `X-Signature-Timestamp` + body, verified by the adapter with the public key.

`python -m purser.testing.discord --purser http://127.0.0.1:8000` starts one and lets you chat
with a running Purser as a Discord user (see README "Discord").
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nacl.signing import SigningKey

from purser.config import DiscordSettings
from purser.testing._discord_tryout import main
from purser.testing._discord_wire import command_problem, form_error, message_problem

__all__ = ["API_PREFIX", "Call", "DiscordServer", "main", "sign"]

API_PREFIX = "/api/v10/"
TOKEN_TTL_SECONDS = 15 * 60
_DISCORD_EPOCH_MS = 1_420_070_400_000


@dataclass(frozen=True, slots=True)
class Call:
    """One API request Purser made, as received."""

    method: str
    path: str
    """Below `/api/v10/`, e.g. `webhooks/<app>/<token>` or `channels/<id>/messages`."""
    headers: Mapping[str, str]
    json: Any
    query: Mapping[str, str]
    status: int
    """What the server answered."""
    user_id: str | None = None
    """The Discord user the message reached (the interaction's user, or the DM's recipient)."""
    response: Any = None


@dataclass(slots=True)
class _Token:
    user_id: str
    channel_id: str
    issued: int
    """Epoch seconds."""
    original: dict[str, Any] | None = None


@dataclass(slots=True)
class _State:
    calls: list[Call] = field(default_factory=list)
    tokens: dict[str, _Token] = field(default_factory=dict)
    channels: dict[str, str | None] = field(default_factory=dict)
    """channel id → the DM's recipient (None: a server channel)."""
    dms: dict[str, str] = field(default_factory=dict)
    guilds: dict[str, str] = field(default_factory=dict)
    """server channel id → its guild id."""
    commands: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)


def sign(signing_key: SigningKey, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Discord sends with an interaction: Ed25519 over the timestamp + the raw body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = signing_key.sign(stamp.encode() + body).signature.hex()
    return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": stamp, "Content-Type": "application/json"}


class DiscordServer:
    """A local Discord API on 127.0.0.1 that records every call and signs interactions like Discord."""

    def __init__(self, *, application_id: str | None = None, bot_token: str | None = None) -> None:
        self._counter = 0
        self._lock = threading.Lock()
        self.signing_key = SigningKey.generate()
        self.public_key = self.signing_key.verify_key.encode().hex()
        self.application_id = application_id or self.snowflake()
        self.bot_token = bot_token or "local." + secrets.token_urlsafe(24)
        self.state = _State()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},  # float-ok: seconds (stops promptly on close)
            name="discord-api",
            daemon=True,
        )
        self._thread.start()

    @property
    def api_base(self) -> str:
        """The REST base to put in `channels.discord.api_base`."""
        return f"http://127.0.0.1:{self._http.server_address[1]}{API_PREFIX}"

    def settings(self) -> DiscordSettings:
        """`channels.discord` pointing at this server."""
        return DiscordSettings(
            public_key=self.public_key,
            application_id=self.application_id,
            bot_token=self.bot_token,
            api_base=self.api_base,
        )

    def close(self) -> None:
        """Stop serving."""
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> DiscordServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- what Discord sends ---------------------------------------------------------------------
    def snowflake(self) -> str:
        """A new Discord id (milliseconds since the Discord epoch << 22, plus a counter)."""
        with self._lock:
            self._counter += 1
            counter = self._counter
        return str(((int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22) + (counter & 0xFFF))

    def user(self, name: str = "customer") -> dict[str, Any]:
        """A Discord user object."""
        return {"id": self.snowflake(), "username": name.lower().replace(" ", "_"), "global_name": name}

    def signed(self, interaction: Mapping[str, Any], *, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """(body, headers) exactly as Discord posts an interaction."""
        body = json.dumps(interaction).encode()
        return body, sign(self.signing_key, body, timestamp)

    def ping(self) -> dict[str, Any]:
        """The PING Discord sends when the endpoint URL is saved."""
        return {"id": self.snowflake(), "application_id": self.application_id, "type": 1, "token": "t", "version": 1}

    def dm_channel(self, user_id: str) -> str:
        """The DM channel between the bot and a user (what `users/@me/channels` answers)."""
        with self._lock:
            channel_id = self.state.dms.get(user_id)
        if channel_id is None:
            channel_id = self.snowflake()
            with self._lock:
                channel_id = self.state.dms.setdefault(user_id, channel_id)
                self.state.channels[channel_id] = user_id
        return channel_id

    def _interaction(
        self, kind: int, user: Mapping[str, Any], channel_id: str | None, guild_id: str | None
    ) -> dict[str, Any]:
        channel = channel_id or self.dm_channel(str(user["id"]))
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        with self._lock:
            self.state.tokens[token] = _Token(str(user["id"]), channel, int(time.time()))
            self.state.channels.setdefault(channel, None if guild_id else str(user["id"]))
            if guild_id:
                self.state.guilds[channel] = guild_id
        base: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": self.application_id,
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": channel,
            "locale": "en-US",
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild_id} if guild_id else {"1": str(user["id"])},
        }
        if guild_id:
            base |= {
                "guild_id": guild_id,
                "context": 0,
                "channel": {"id": channel, "type": 0, "guild_id": guild_id},
                "member": {"user": dict(user), "roles": [], "permissions": "2248473465835073", "nick": None},
            }
        else:
            base |= {"context": 1, "channel": {"id": channel, "type": 1}, "user": dict(user)}
        return base

    def command(
        self, user: Mapping[str, Any], text: str, *, channel_id: str | None = None, guild_id: str | None = None
    ) -> dict[str, Any]:
        """A `/billing message:<text>` interaction (in the bot's DM unless a guild channel is given)."""
        interaction = self._interaction(2, user, channel_id, guild_id)
        interaction["data"] = {
            "id": self.snowflake(),
            "name": "billing",
            "type": 1,
            "options": [{"name": "message", "type": 3, "value": text}],
        }
        return interaction

    def press(
        self,
        user: Mapping[str, Any],
        message: Mapping[str, Any],
        custom_id: str,
        *,
        guild_id: str | None = None,
    ) -> dict[str, Any]:
        """A button press on `message` (a message object this server returned) by `user`."""
        channel_id = str(message["channel_id"])
        with self._lock:
            guild_id = guild_id or self.state.guilds.get(channel_id)
        interaction = self._interaction(3, user, channel_id, guild_id)
        interaction["message"] = dict(message)
        interaction["data"] = {"custom_id": custom_id, "component_type": 2}
        return interaction

    # -- what Purser called ---------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        """Every API call so far, in order."""
        with self._lock:
            return list(self.state.calls)

    def messages_to(self, user_id: str, since: int = 0) -> list[dict[str, Any]]:
        """The messages Purser created for a user (follow-ups and DMs), from call number `since` on."""
        return [
            c.response
            for c in self.calls[since:]
            if c.user_id == user_id and c.status < 300 and isinstance(c.response, dict) and "content" in c.response
        ]

    def expire_tokens(self) -> None:
        """Age every issued interaction token past 15 minutes (Discord then refuses follow-ups)."""
        with self._lock:
            for token in self.state.tokens.values():
                token.issued -= TOKEN_TTL_SECONDS + 1

    # -- the API ----------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any, str | None]:
        """(status, JSON answer, user reached) for one API request (the HTTP handler's logic)."""
        parts = path.strip("/").split("/")
        bot_ok = headers.get("authorization") == f"Bot {self.bot_token}"
        if parts[:1] == ["webhooks"] and len(parts) >= 3:
            return self._webhook(method, parts, body)
        if not bot_ok:
            return 401, {"message": "401: Unauthorized", "code": 0}, None
        if method == "POST" and parts == ["users", "@me", "channels"]:
            recipient = body.get("recipient_id") if isinstance(body, dict) else None
            if not isinstance(recipient, str) or not recipient.isdigit():
                return 400, form_error("recipient_id", "Value is not snowflake."), None
            channel_id = self.dm_channel(recipient)
            return 200, {"id": channel_id, "type": 1, "flags": 0, "recipients": [{"id": recipient}]}, None
        if method == "POST" and len(parts) == 3 and parts[0] == "channels" and parts[2] == "messages":
            with self._lock:
                known = parts[1] in self.state.channels
                recipient = self.state.channels.get(parts[1])
            if not known:
                return 404, {"message": "Unknown Channel", "code": 10003}, None
            problem = message_problem(body, bot=True)
            if problem:
                return 400, problem, recipient
            return 200, self._message(parts[1], body), recipient
        if len(parts) == 3 and parts[0] == "applications" and parts[2] == "commands":
            if parts[1] != self.application_id:
                return 403, {"message": "Missing Access", "code": 50001}, None
            return self._commands(method, body)
        return 404, {"message": "404: Not Found", "code": 0}, None

    def _webhook(self, method: str, parts: list[str], body: Any) -> tuple[int, Any, str | None]:
        if parts[1] != self.application_id:
            return 404, {"message": "Unknown Webhook", "code": 10015}, None
        with self._lock:
            token = self.state.tokens.get(parts[2])
        if token is None or int(time.time()) - token.issued > TOKEN_TTL_SECONDS:
            return 401, {"message": "Invalid Webhook Token", "code": 50027}, None
        problem = message_problem(body, bot=False)
        if problem:
            return 400, problem, token.user_id
        if method == "POST" and len(parts) == 3:
            return 200, self._message(token.channel_id, body), token.user_id
        if method == "PATCH" and parts[3:] == ["messages", "@original"]:
            # The deferral's "thinking…" message, edited in place: the same message id every time.
            message = self._message(token.channel_id, body)
            with self._lock:
                if token.original is not None:
                    message["id"] = token.original["id"]
                token.original = message
            return 200, message, token.user_id
        return 405, {"message": "405: Method Not Allowed", "code": 0}, None

    def _message(self, channel_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        message = {
            "id": self.snowflake(),
            "type": 0,
            "channel_id": channel_id,
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "flags": body.get("flags", 0),
            "author": {"id": self.application_id, "username": "Purser", "bot": True},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        }
        with self._lock:
            self.state.messages[str(message["id"])] = message
        return message

    def _commands(self, method: str, body: Any) -> tuple[int, Any, str | None]:
        if method == "GET":
            with self._lock:
                return 200, list(self.state.commands), None
        problem = command_problem(body) if method == "PUT" else form_error("_", "Use PUT to overwrite commands.")
        if problem:
            return 400, problem, None
        ids = [{"id": self.snowflake(), "application_id": self.application_id, "version": "1"} for _ in body]
        registered = [dict(command) | extra for command, extra in zip(body, ids, strict=True)]
        with self._lock:
            self.state.commands = registered
        return 200, registered, None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.state.calls.append(call)


def _handler_for(server: DiscordServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, {"message": "400: Bad Request", "code": 50109})
                return
            if not url.path.startswith(API_PREFIX):
                self._send(404, {"message": "404: Not Found", "code": 0})
                return
            path = url.path[len(API_PREFIX) :]
            status, answer, user_id = server.handle(self.command, path, headers, body)
            server._record(Call(self.command, path, headers, body, query, status, user_id, answer))
            self._send(status, answer)

        def _send(self, status: int, answer: Any) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, *_args: Any) -> None:  # quiet: calls are recorded instead
            return

    return Handler


if __name__ == "__main__":
    main()
