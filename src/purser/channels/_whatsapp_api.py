"""The WhatsApp Cloud API's one call Purser makes: `POST {api_base}{phone_number_id}/messages`.

Every failure becomes a `ChannelDeliveryError` naming the API method and, for a Graph API error
answer (`{"error": {"code": 131047, "message": ..., "error_data": {"details": ...}}}`), its code
and title, never the access token (it is scrubbed from anything quoted back, should the platform
ever echo it).
"""

from __future__ import annotations

from typing import Any

import httpx

from purser.channels.base import ChannelDeliveryError

__all__ = ["RE_ENGAGEMENT", "GraphMessages"]

RE_ENGAGEMENT = 131047
"""Graph API error: more than 24 hours since the customer last wrote (only a template may be sent)."""

TIMEOUT = httpx.Timeout(10, connect=5)


class GraphMessages:
    """Sends message bodies to one business phone number through the Graph API."""

    def __init__(
        self, *, api_base: str, phone_number_id: str, access_token: str, http: httpx.Client | None = None
    ) -> None:
        self.url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self._token = access_token
        self._http = http or httpx.Client(timeout=TIMEOUT)

    def send(self, payload: dict[str, Any]) -> str:
        """Send one message; returns the platform's message id (`wamid...`)."""
        method = f"messages ({payload.get('type', '?')})"
        try:
            response = self._http.post(self.url, json=payload, headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise ChannelDeliveryError(
                f"WhatsApp {method} did not answer: {self._scrub(f'{type(exc).__name__}: {exc}')}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ChannelDeliveryError(f"WhatsApp {method} answered HTTP {response.status_code} without a JSON object")
        error = body.get("error")
        if response.is_error or error is not None:
            raise ChannelDeliveryError(f"WhatsApp {method} refused the message: {self._describe(error)}")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise ChannelDeliveryError(f"WhatsApp {method} answered without a message id")
        return str(messages[0].get("id", ""))

    def _describe(self, error: object) -> str:
        if not isinstance(error, dict):
            return "an error without details"
        code = error.get("code")
        text = str(error.get("message") or error.get("title") or "no message")
        data = error.get("error_data")
        if isinstance(data, dict) and isinstance(data.get("details"), str):
            text = f"{text}: {data['details']}"
        if code == RE_ENGAGEMENT:
            text = f"{text} (outside the 24-hour customer service window; only a template may be sent)"
        return self._scrub(f"error {code} {text}")

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[token]") if self._token else text

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()
