"""`purser eval --channel whatsapp`: the gym's customer on WhatsApp, through the real webhook.

Each customer message becomes the signed webhook Meta would post (`X-Hub-Signature-256`) sent to
the app's `/channels/whatsapp/webhook`; each Confirm/Cancel is the `button_reply` WhatsApp posts
when the customer taps the button Purser sent. The agent's answer is read back from what Purser
posted to the local Graph API (`purser.testing.whatsapp`): a text message is a `message` event,
an interactive message with Purser's buttons a `confirmation_request` (and, when the agent's
message introducing it leads the card's text, that `message` too). What a WhatsApp customer
only reads as text is taken from the record it rests on: a new pending approval of the
conversation (the gateway) is an `approval_pending`, a conversation newly handed off (the
runtime) a `handoff` with its reason.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any

from purser.channels._whatsapp_render import parse_choice, parse_reply
from purser.testing.whatsapp import GraphCall, SignedWebhook, WhatsAppServer

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from purser.app import Container
    from purser.config import Settings

__all__ = ["WhatsAppDriver", "WhatsAppHarness", "calls_to_events"]

WEBHOOK = "/channels/whatsapp/webhook"


class WhatsAppHarness:
    """One local Graph API for the process; a fresh WhatsApp number per trial."""

    def __init__(self) -> None:
        self.server = WhatsAppServer().start()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def settings(self, base: Settings) -> Settings:
        """`base` with `channels.whatsapp` pointing at the local Graph API."""
        channels = base.channels.model_copy(update={"whatsapp": self.server.settings()})
        return base.model_copy(update={"channels": channels})

    def driver(self, container: Container) -> WhatsAppDriver:
        """A driver for one trial, on a WhatsApp number of its own."""
        with self._lock:
            number = next(self._numbers)
        return WhatsAppDriver(container, self.server, wa_id=f"1555{number:07d}")

    def close(self) -> None:
        """Stop the local Graph API."""
        self.server.close()


class WhatsAppDriver:
    """One gym customer writing from one WhatsApp number."""

    def __init__(self, container: Container, server: WhatsAppServer, *, wa_id: str) -> None:
        if container.channels is None:
            raise ValueError("the container has no channels (build it from WhatsAppHarness.settings(...))")
        from fastapi.testclient import TestClient

        from purser.web.app import create_app

        self.container = container
        self.service = container.channels
        self.server = server
        self.wa_id = wa_id
        self.client: TestClient = TestClient(create_app(container))
        self._mark = 0
        self._buttons: dict[tuple[str, str], tuple[str, str]] = {}
        """(action id, yes|no) → (button id, title) as last sent to this customer."""
        self._approvals_seen: set[str] = set()
        self._handed_off = False

    def start(self, customer_id: str, channel: str) -> str:
        """Link this number to the customer and bind its chat to a new conversation."""
        self.service.identity.link("whatsapp", self.wa_id, customer_id, by="admin:gym")
        self.server.customer_wrote(self.wa_id)
        _, self._mark = self.server.since(len(self.server.calls))
        return self.service.bind(
            "whatsapp", external_id=self.wa_id, thread_key=self.wa_id, address={"wa_id": self.wa_id}
        )

    def message(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """The customer's text, as Meta posts it; the agent's answer as sent to WhatsApp."""
        return self._post(conversation_id, self.server.text_webhook(self.wa_id, text))

    def confirm(self, conversation_id: str, action_id: str, decision: str) -> list[dict[str, Any]]:
        """The customer taps Confirm (`yes`) or Cancel on the card Purser sent."""
        choice = "yes" if decision == "yes" else "no"
        button = self._buttons.get((action_id, choice))
        if button is None:
            raise ValueError(f"no {choice!r} button for action {action_id} was sent to this WhatsApp number")
        button_id, title = button
        return self._post(conversation_id, self.server.reply_webhook(self.wa_id, button_id, title))

    def decide_approval(self, conversation_id: str, approval_id: str, *, approve: bool) -> list[dict[str, Any]]:
        """An approver decides (in the dashboard); what the customer then receives on WhatsApp."""
        self.container.runtime.decide_approval(
            approval_id, approve=approve, approver="gym-approver", reason="simulated approver"
        )
        self.service.drain()
        return self._read_back(conversation_id)

    def _post(self, conversation_id: str, hook: SignedWebhook) -> list[dict[str, Any]]:
        answer = self.client.post(WEBHOOK, content=hook.body, headers=hook.headers)
        if answer.status_code != 200:
            raise RuntimeError(f"the WhatsApp webhook answered {answer.status_code}: {answer.text}")
        self.service.drain()
        return self._read_back(conversation_id)

    def _read_back(self, conversation_id: str) -> list[dict[str, Any]]:
        calls, self._mark = self.server.since(self._mark)
        mine = [c for c in calls if c.to == self.wa_id and c.message_id is not None]
        events = calls_to_events(mine)
        for event in events:
            if event["type"] == "confirmation_request":
                for choice in ("yes", "no"):
                    self._buttons[(event["action_id"], choice)] = event.pop(f"_{choice}")
        for request in self.container.gateway.approvals(conversation_id=conversation_id):
            if request.status == "pending" and str(request.id) not in self._approvals_seen:
                self._approvals_seen.add(str(request.id))
                events.append({"type": "approval_pending", "action_id": request.action_id, "summary": ""})
        record = self.container.runtime.conversation(conversation_id)
        if record.handed_off and not self._handed_off:
            self._handed_off = True
            events.append({"type": "handoff", "reason": record.handoff_reason or "", "summary": ""})
        return events


def calls_to_events(calls: list[GraphCall]) -> list[dict[str, Any]]:
    """Accepted Graph API messages back as §7 events (a card keeps its buttons under `_yes` / `_no`)."""
    events: list[dict[str, Any]] = []
    for call in calls:
        body = call.body if isinstance(call.body, dict) else {}
        kind = body.get("type")
        if kind == "text":
            events.append({"type": "message", "text": body["text"]["body"]})
        elif kind == "template":
            params = body["template"]["components"][0]["parameters"]
            events.append({"type": "message", "text": " ".join(p["text"] for p in params)})
        elif kind == "interactive":
            text = body["interactive"]["body"]["text"]
            replies = _quick_replies(body["interactive"])
            if replies:  # a message's quick replies, not a confirmation card
                events.append({"type": "message", "text": text, "quick_replies": replies})
                continue
            if not text.startswith("*"):  # the agent's own words lead the card: they were its message
                events.append({"type": "message", "text": text})
            events.append(_card(body["interactive"]))
    return events


def _options(interactive: dict[str, Any]) -> list[tuple[str, str]]:
    action = interactive["action"]
    if interactive["type"] == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
    return [
        (row["id"], row.get("description") or row["title"]) for section in action["sections"] for row in section["rows"]
    ]


def _quick_replies(interactive: dict[str, Any]) -> list[dict[str, str]]:
    """An interactive message's quick replies (label, text), [] when it is a confirmation card."""
    found = [(parse_reply(option_id), title) for option_id, title in _options(interactive)]
    return [{"label": title, "text": text} for text, title in found if text is not None]


def _card(interactive: dict[str, Any]) -> dict[str, Any]:
    options = _options(interactive)
    event: dict[str, Any] = {"type": "confirmation_request", "quote": {}}
    for option_id, title in options:
        choice = parse_choice(option_id)
        if choice is None:
            continue
        event["action_id"], event["action"] = choice.action_id, choice.action
        event[f"_{choice.decision}"] = (option_id, title)
    summary = interactive["body"]["text"].split("\n", 1)[0]
    event["summary"] = summary.strip("*")
    return event
