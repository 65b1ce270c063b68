"""A local Slack for tests and try-outs: the Web API methods Purser calls, and Slack's signed requests.

`SlackApiServer` listens on 127.0.0.1 (port 0: any free port) and answers like `https://slack.com/api/`:
`POST /api/<method>` with a bot token (`Authorization: Bearer xoxb-…` or a `token` form field),
JSON or form bodies, HTTP 200 with `{"ok": true, …}` or `{"ok": false, "error": "…"}`
(`not_authed`, `invalid_auth`, `channel_not_found`, `no_text`, `invalid_blocks`, `message_not_found`,
`unknown_method`, `cant_update_message`). Methods: `auth.test`, `chat.postMessage`, `chat.update`
(Slack's documented rules: blocks replace blocks, text alone removes them), `conversations.open`.
Every call is recorded (`calls`: method, path, headers, body) and posted messages are kept per
channel, so a test reads back exactly what Purser sent.

The request builders sign as Slack does (`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with
the signing secret) and shape bodies as Slack sends them: Events API envelopes (`event_callback`,
`url_verification`) and interactivity's form-encoded `payload=` for `block_actions`.

Try it: `python -m purser.testing.slack` starts the server, prints the settings that point Purser
at it, then sends what you type as a Slack user's signed DMs and button presses (`_slack_tryout`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

if TYPE_CHECKING:
    from purser.config import SlackSettings

__all__ = [
    "BOT_USER",
    "SlackApiServer",
    "SlackCall",
    "block_actions",
    "buttons",
    "dm_channel",
    "event_callback",
    "message_event",
    "sign",
    "url_verification",
]

BOT_USER = "U0PURSERBOT"
BOT_ID = "B0PURSERBOT"
TEAM_ID = "T0PURSER"
APP_ID = "A0PURSER"
METHODS = ("auth.test", "chat.postMessage", "chat.update", "conversations.open")


@dataclass(frozen=True, slots=True)
class SlackCall:
    """One Web API call as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    """JSON body, or the form fields (one value each)."""
    response: dict[str, Any]


def dm_channel(user: str) -> str:
    """The DM channel id Slack (this server) gives the bot's conversation with `user`."""
    return "D" + hashlib.sha256(user.encode()).hexdigest()[:10].upper()


def _valid_blocks(blocks: object) -> bool:
    """Block Kit's main limits: ≤ 50 blocks; section text ≤ 3000, ≤ 10 fields; button values ≤ 2000."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return False
        text = block.get("text")
        if isinstance(text, dict) and len(str(text.get("text", ""))) > 3000:
            return False
        if len(block.get("fields", [])) > 10:
            return False
        for element in block.get("elements", []):
            if element.get("type") == "button" and (
                len(str(element.get("value", ""))) > 2000 or len(str(element.get("action_id", ""))) > 255
            ):
                return False
    return True


class SlackApiServer:
    """Slack's Web API on 127.0.0.1, recording every call."""

    def __init__(self, *, bot_token: str = "xoxb-local-purser", port: int = 0) -> None:
        self.bot_token = bot_token
        self.calls: list[SlackCall] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        """(channel, ts) → the message as Slack would return it (updated by chat.update)."""
        self._failures: dict[str, tuple[str, int]] = {}
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="slack-api", daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        """What `channels.slack.api_base` should be: `http://127.0.0.1:PORT/api/`."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/"

    def settings(
        self,
        signing_secret: str,
        *,
        approvals_channel: str | None = None,
        team_channel: str | None = None,
        approvers: tuple[str, ...] = (),
    ) -> SlackSettings:
        """`channels.slack` pointing at this server (its bot token and `api_base`)."""
        from purser.config import SlackSettings

        return SlackSettings(
            signing_secret=signing_secret,
            bot_token=self.bot_token,
            api_base=self.api_base,
            approvals_channel=approvals_channel,
            team_channel=team_channel,
            approvers=approvers,
        )

    def start(self) -> SlackApiServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SlackApiServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reading back ---------------------------------------------------------------------------------
    def posts(self, channel: str | None = None, *, since: int = 0) -> list[SlackCall]:
        """Successful `chat.postMessage` calls (into `channel` when given), from call number `since` on."""
        with self._changed:
            calls = self.calls[since:]
        posted = [c for c in calls if c.method == "chat.postMessage" and c.response.get("ok")]
        return [c for c in posted if channel is None or c.body["channel"] == channel]

    def wait_for(
        self,
        found: Callable[[list[SlackCall]], bool],
        timeout: float = 10.0,  # float-ok: seconds
    ) -> list[SlackCall]:
        """Block until `found(calls)` holds (for calls Purser makes after answering), else `TimeoutError`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not found(list(self.calls)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the expected Slack call did not arrive")
                self._changed.wait(left)
            return list(self.calls)

    def fail_next(self, method: str, error: str, *, after: int = 0) -> None:
        """Answer a coming call of `method` (the next one, or the one after `after` more) with
        `{"ok": false, "error": error}` (outage drills)."""
        self._failures[method] = (error, after)

    # -- the Web API ------------------------------------------------------------------------------------
    def _answer(self, method: str, headers: Mapping[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if method not in METHODS:
            return {"ok": False, "error": "unknown_method"}
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else str(body.get("token", ""))
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not hmac.compare_digest(token, self.bot_token):
            return {"ok": False, "error": "invalid_auth"}
        failure = self._failures.pop(method, None)
        if failure is not None:
            error, after = failure
            if after == 0:
                return {"ok": False, "error": error}
            self._failures[method] = (error, after - 1)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://purser-local.slack.com/",
                "team": "Purser (local)",
                "user": "purser",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "conversations.open":
            users = str(body.get("users", "")).split(",")
            if not users[0]:
                return {"ok": False, "error": "users_list_not_supplied"}
            return {"ok": True, "channel": {"id": dm_channel(users[0])}}
        channel = body.get("channel")
        if not isinstance(channel, str) or channel[:1] not in ("C", "D", "G"):
            return {"ok": False, "error": "channel_not_found"}
        if "blocks" in body and not _valid_blocks(body["blocks"]):
            return {"ok": False, "error": "invalid_blocks"}
        if method == "chat.update":
            return self._update(channel, body)
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "app_id": APP_ID, "ts": ts, "team": TEAM_ID}
        message |= {k: body[k] for k in ("text", "blocks", "metadata", "thread_ts") if k in body}
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        """`chat.update` as Slack documents it: `text` or `blocks` required; `blocks` replace the old
        ones (`[]` removes them); `text` without `blocks` removes the old blocks; only a text-only
        update shows the "edited" flag; a message the bot did not post cannot be updated."""
        ts = body.get("ts")
        if not isinstance(ts, str) or not ts:
            return {"ok": False, "error": "message_not_found"}
        message = self.messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != BOT_ID:
            return {"ok": False, "error": "cant_update_message"}
        if "text" not in body and "blocks" not in body and "attachments" not in body:
            return {"ok": False, "error": "no_text"}
        if "blocks" in body:
            message["blocks"] = body["blocks"]
            if not body["blocks"]:
                del message["blocks"]
        elif "text" in body:
            message.pop("blocks", None)
            message["edited"] = {"user": BOT_USER, "ts": f"{int(time.time())}.000000"}
        message |= {k: body[k] for k in ("text", "metadata") if k in body}
        return {"ok": True, "channel": channel, "ts": ts, "text": message.get("text", ""), "message": message}

    def updates(self, channel: str | None = None) -> list[SlackCall]:
        """Successful `chat.update` calls (in `channel` when given), in order."""
        with self._changed:
            calls = list(self.calls)
        done = [c for c in calls if c.method == "chat.update" and c.response.get("ok")]
        return [c for c in done if channel is None or c.body["channel"] == channel]

    def _record(self, call: SlackCall) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = _body(headers.get("content-type", ""), raw)
                method = self.path.split("?", 1)[0].removeprefix("/api/")
                with server._changed:
                    answer = (
                        server._answer(method, headers, body)
                        if body is not None
                        else {"ok": False, "error": "invalid_form_data"}
                    )
                server._record(SlackCall(method, self.path, headers, body or {}, answer))
                self._json(answer)

            def _json(self, answer: object) -> None:
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _body(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """A Web API body as Slack reads it: JSON, or form fields (one value each); None when unreadable."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(raw or b"{}")
            return data if isinstance(data, dict) else None
        form = parse_qs(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    fields: dict[str, Any] = {k: v[0] for k, v in form.items()}
    for key in ("blocks", "metadata"):
        if isinstance(fields.get(key), str):
            try:
                fields[key] = json.loads(fields[key])
            except ValueError:
                return None
    return fields


# -- what Slack sends Purser ---------------------------------------------------------------------------
def sign(signing_secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request headers for `body`: the timestamp and the v0 HMAC-SHA256 signature."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


_last_ts = [0]
_ts_lock = threading.Lock()


def _next_ts() -> str:
    """A Slack `ts` (epoch seconds.microseconds), increasing within the process."""
    with _ts_lock:
        _last_ts[0] = max(time.time_ns() // 1000, _last_ts[0] + 1)
        micros = _last_ts[0]
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _event_id() -> str:
    """A fresh Events API id (`Ev` + 10 characters), unique across processes (the try-out runs one per call)."""
    return "Ev" + secrets.token_hex(5).upper()


def message_event(user: str, text: str, *, channel: str | None = None, **extra: Any) -> dict[str, Any]:
    """A `message` event by `user` (in their DM with the bot unless `channel` is given)."""
    ts = _next_ts()
    channel = channel or dm_channel(user)
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im" if channel.startswith("D") else "channel",
        "team": TEAM_ID,
    }
    return event | extra


def event_callback(event: Mapping[str, Any], *, event_id: str | None = None, shared: bool = False) -> bytes:
    """The Events API envelope Slack POSTs for `event` (its own bot's authorization included)."""
    envelope = {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or _event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": shared,
    }
    return json.dumps(envelope).encode()


def url_verification(challenge: str) -> bytes:
    """The request Slack sends when the Request URL is first saved."""
    return json.dumps({"token": "unused", "challenge": challenge, "type": "url_verification"}).encode()


def block_actions(
    user: str, action_id: str, value: str, *, channel: str, message_ts: str, block_id: str = "purser"
) -> bytes:
    """The form body Slack POSTs when `user` presses a button (`payload=` + the JSON payload)."""
    action_ts = _next_ts()
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{secrets.randbelow(10**12)}.{TEAM_ID}.trigger",
        "team": {"id": TEAM_ID, "domain": "purser-local"},
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "channel"},
        "message": {"type": "message", "ts": message_ts, "user": BOT_USER, "bot_id": BOT_ID},
        "response_url": f"https://hooks.slack.com/actions/{TEAM_ID}/{secrets.randbelow(10**12)}/local",
        "actions": [
            {"action_id": action_id, "block_id": block_id, "value": value, "type": "button", "action_ts": action_ts}
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def buttons(call: SlackCall) -> Iterator[dict[str, Any]]:
    """The buttons of a recorded post, in order."""
    for block in call.body.get("blocks") or []:
        if block.get("type") == "actions":
            yield from (e for e in block.get("elements", []) if e.get("type") == "button")


if __name__ == "__main__":
    import sys

    from purser.testing._slack_tryout import main

    sys.exit(main())
