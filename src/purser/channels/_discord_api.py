"""Discord's REST API, the few calls Purser makes (sync httpx; errors become `ChannelDeliveryError`).

    POST  webhooks/{application_id}/{interaction_token}?wait=true   follow-up (no auth header: the
                                                                    token in the path is the credential)
    PATCH webhooks/{application_id}/{interaction_token}/messages/@original
    POST  channels/{channel_id}/messages          Authorization: Bot <bot_token>
    POST  users/@me/channels {recipient_id}       the DM channel with a user (the same one every time)
    PUT   applications/{application_id}/commands  overwrite the global slash commands

An error names the API call and Discord's own message and code, never a token: an interaction
token sits in the URL path, so neither the URL nor httpx's exception text is ever repeated.
"""

from __future__ import annotations

from typing import Any

import httpx

from purser.channels.base import ChannelDeliveryError

__all__ = ["DiscordApi"]

_TIMEOUT = httpx.Timeout(10, connect=5)
_USER_AGENT = "DiscordBot (https://github.com/purser-billing/purser, 1.0)"
"""Discord asks every client to send this form of User-Agent."""


class DiscordApi:
    """A Discord application's REST client (one connection pool, closed with `close`)."""

    def __init__(self, *, api_base: str, application_id: str, bot_token: str) -> None:
        self.application_id = application_id
        self._bot = f"Bot {bot_token}"
        base = api_base if api_base.endswith("/") else api_base + "/"
        self._http = httpx.Client(base_url=base, timeout=_TIMEOUT, headers={"User-Agent": _USER_AGENT})

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def _call(
        self, name: str, method: str, path: str, *, body: Any, bot: bool, query: dict[str, str] | None = None
    ) -> Any:
        headers = {"Authorization": self._bot} if bot else {}
        try:
            response = self._http.request(method, path, json=body, headers=headers, params=query)
        except httpx.HTTPError as exc:
            raise ChannelDeliveryError(f"discord {name}: no answer ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise ChannelDeliveryError(f"discord {name}: HTTP {response.status_code} {_reason(response)}")
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ChannelDeliveryError(f"discord {name}: the answer is not JSON") from None

    def followup(self, interaction_token: str, message: dict[str, Any]) -> dict[str, Any]:
        """A follow-up message to an interaction (valid 15 minutes after it); the created message."""
        path = f"webhooks/{self.application_id}/{interaction_token}"
        created = self._call(
            "execute webhook (follow-up)", "POST", path, body=message, bot=False, query={"wait": "true"}
        )
        return created if isinstance(created, dict) else {}

    def edit_original(self, interaction_token: str, message: dict[str, Any]) -> dict[str, Any]:
        """Replace the interaction's original response (its "thinking…" placeholder after a deferral)."""
        path = f"webhooks/{self.application_id}/{interaction_token}/messages/@original"
        edited = self._call("edit original interaction response", "PATCH", path, body=message, bot=False)
        return edited if isinstance(edited, dict) else {}

    def post_message(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """A message in a channel (or DM channel) as the bot."""
        created = self._call("create message", "POST", f"channels/{channel_id}/messages", body=message, bot=True)
        return created if isinstance(created, dict) else {}

    def open_dm(self, user_id: str) -> str:
        """The id of the bot's DM channel with a user (Discord returns the existing one when there is one)."""
        channel = self._call("create DM", "POST", "users/@me/channels", body={"recipient_id": user_id}, bot=True)
        if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
            raise ChannelDeliveryError("discord create DM: the answer has no channel id")
        return str(channel["id"])

    def put_commands(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Overwrite the application's global commands; the registered commands (with their ids)."""
        path = f"applications/{self.application_id}/commands"
        registered = self._call("bulk overwrite global application commands", "PUT", path, body=commands, bot=True)
        return [c for c in registered if isinstance(c, dict)] if isinstance(registered, list) else []


def _reason(response: httpx.Response) -> str:
    """Discord's error body `{"message": ..., "code": ...}` in a line (never the request URL)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        message = str(body.get("message", response.reason_phrase))[:200]
        code = body.get("code")
        return f"{message} (code {code})" if code is not None else message
    return response.reason_phrase
