"""The gym through Discord (`purser eval --channel discord`): signed interactions in, API calls read back.

Each customer message is a `/billing` interaction in the bot's DM, signed with the local Discord's
Ed25519 key and posted to `/channels/discord/interactions` of the real web app; each confirmation
is a press on the card's button exactly as Discord posts it (the card's message and the button's
`custom_id`). After the service has drained, the messages Purser created for this driver's user
on the local Discord API are turned back into §7 events:

    content                                  → {"type": "message", "text": ...}
    content + embed + Confirm/Cancel → {"type": "confirmation_request", "action_id", "action", "summary", "quote"}
    "✅ / ⚠️ / 🚫 summary"                    → {"type": "action_result", "status", "summary", "action_id"}
    "⏳ summary"                              → {"type": "approval_pending", "action_id", "summary"}
    "🙋 …"                                    → {"type": "handoff", "reason", "summary"}

The action id of a card comes from its button's `custom_id`; an approval's from the gateway's
pending requests, a handoff's reason from the conversation's record (the customer sees neither).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from purser.channels._discord_render import (
    APPROVAL_MARK,
    HANDOFF_MARK,
    RESULT_MARKS,
    ButtonPress,
    parse_custom_id,
    parse_reply_id,
)
from purser.channels.discord import thread_address, thread_key
from purser.testing.discord import DiscordServer

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from purser.app import Container
    from purser.config import Settings

__all__ = ["DiscordDriver", "DiscordHarness"]

ENDPOINT = "/channels/discord/interactions"


class DiscordHarness:
    """One local Discord for the process; a driver (its own Discord user) per trial."""

    def __init__(self) -> None:
        self.server = DiscordServer()

    def settings(self, base: Settings) -> Settings:
        """`base` with `channels.discord` pointing at the local server."""
        channels = base.channels.model_copy(update={"discord": self.server.settings()})
        return base.model_copy(update={"channels": channels})

    def driver(self, container: Container) -> DiscordDriver:
        """A driver for one trial."""
        return DiscordDriver(container, self.server)

    def close(self) -> None:
        """Stop the local server."""
        self.server.close()


class DiscordDriver:
    """A Discord user talking to Purser through signed interactions, as the gym's customer."""

    def __init__(self, container: Container, server: DiscordServer) -> None:
        from fastapi.testclient import TestClient

        from purser.web.app import create_app

        if container.channels is None:
            raise RuntimeError("the container has no channels: build it from DiscordHarness.settings(...)")
        self.container = container
        self.service = container.channels
        self.server = server
        self.user = server.user("Gym Customer")
        self.user_id = str(self.user["id"])
        self.channel_id = server.dm_channel(self.user_id)
        self.client: TestClient = TestClient(create_app(container))
        self.cards: dict[str, dict[str, Any]] = {}
        """action id → the card message (to press its buttons)."""
        self._mark = len(server.calls)
        self._reported: set[str] = set()

    def start(self, customer_id: str, channel: str) -> str:
        """Link this Discord user to the customer and bind the DM thread; the conversation id."""
        del channel  # the conversation is on Discord
        self.service.identity.link("discord", self.user_id, customer_id, by="admin:gym")
        return self.service.bind(
            "discord",
            external_id=self.user_id,
            thread_key=thread_key(self.channel_id, self.user_id),
            address=thread_address(self.channel_id, self.user_id, dm=True),
        )

    def message(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """`/billing message:<text>`; the agent's events read back from Discord."""
        return self._post(self.server.command(self.user, text), conversation_id, expect_type=5)

    def confirm(self, conversation_id: str, action_id: str, decision: str) -> list[dict[str, Any]]:
        """Press Confirm (`yes`) or Cancel on the card of `action_id` as Discord posts the press."""
        card = self.cards.get(action_id)
        if card is None:
            raise RuntimeError(f"no Discord card was posted for action {action_id}")
        buttons = card["components"][0]["components"]
        custom_id = buttons[0 if decision == "yes" else 1]["custom_id"]
        return self._post(self.server.press(self.user, card, custom_id), conversation_id, expect_type=7)

    def decide_approval(self, conversation_id: str, approval_id: str, *, approve: bool) -> list[dict[str, Any]]:
        """The simulated approver decides; what the customer then receives on Discord."""
        self.container.runtime.decide_approval(
            approval_id, approve=approve, approver="gym-approver", reason="simulated approver"
        )
        self.service.drain()
        return self._read_back(conversation_id)

    def _post(self, interaction: dict[str, Any], conversation_id: str, *, expect_type: int) -> list[dict[str, Any]]:
        body, headers = self.server.signed(interaction)
        answer = self.client.post(ENDPOINT, content=body, headers=headers)
        if answer.status_code != 200 or answer.json().get("type") != expect_type:
            raise RuntimeError(f"Discord interaction refused: HTTP {answer.status_code} {answer.text[:200]}")
        self.service.drain()
        return self._read_back(conversation_id)

    def _read_back(self, conversation_id: str) -> list[dict[str, Any]]:
        messages = self.server.messages_to(self.user_id, self._mark)
        self._mark = len(self.server.calls)
        return [self._event(m, conversation_id) for m in messages]

    def _event(self, message: dict[str, Any], conversation_id: str) -> dict[str, Any]:
        content = str(message.get("content", ""))
        press = _card_press(message)
        if press is not None:
            self.cards[press.action_id] = message
            return {
                "type": "confirmation_request",
                "action_id": press.action_id,
                "action": press.action,
                "summary": content,
                "quote": {},
            }
        mark, _, rest = content.partition(" ")
        statuses = {v: k for k, v in RESULT_MARKS.items()}
        if mark in statuses:
            return {"type": "action_result", "action_id": "", "status": statuses[mark], "summary": rest}
        if mark == APPROVAL_MARK:
            return {"type": "approval_pending", "action_id": self._pending_action(conversation_id), "summary": rest}
        if mark == HANDOFF_MARK:
            # The customer is not shown why; the reason is read where the handoff was recorded.
            reason = self.container.runtime.conversation(conversation_id).handoff_reason or ""
            return {"type": "handoff", "reason": reason, "summary": rest}
        event: dict[str, Any] = {"type": "message", "text": content.split("\n-# Sources:", 1)[0]}
        replies = _quick_replies(message)
        if replies:
            event["quick_replies"] = replies
        return event

    def _pending_action(self, conversation_id: str) -> str:
        for request in self.container.gateway.approvals(conversation_id=conversation_id):
            if request.status == "pending" and request.action_id not in self._reported:
                self._reported.add(request.action_id)
                return str(request.action_id)
        return ""


def _quick_replies(message: dict[str, Any]) -> list[dict[str, str]]:
    """A message's quick-reply buttons as (label, text) pairs."""
    found = []
    for row in message.get("components") or []:
        for button in row.get("components") or []:
            reply = parse_reply_id(str(button.get("custom_id", "")))
            if reply is not None:
                found.append({"label": str(button.get("label", "")), "text": reply.text})
    return found


def _card_press(message: dict[str, Any]) -> ButtonPress | None:
    for row in message.get("components") or []:
        for button in row.get("components") or []:
            press = parse_custom_id(str(button.get("custom_id", "")))
            if press is not None:
                return press
    return None
