"""`purser eval --channel slack`: the gym's customer in a Slack DM and the approver in the approvals
channel, through the real Events API and interactivity endpoints.

Each customer message is the signed `event_callback` Slack would post to `/channels/slack/events`;
each Confirm/Cancel and each Approve/Deny is the signed `block_actions` Slack posts to
`/channels/slack/interactions` when that button (as Purser posted it) is pressed. The agent's answer
is read back from what Purser posted to the local Slack Web API (`purser.testing.slack`): the
message metadata names each post's event type, the card's button value carries the action id and
name, the team channel's handoff post carries the reason, and a pending approval's id is taken from
the gateway (what the customer reads is only "a teammate is reviewing this").
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from typing import TYPE_CHECKING, Any

from purser.channels._slack_render import REPLY, parse_card_value, parse_reply_value, unescape
from purser.ports.channels import LinkTokenId
from purser.testing.slack import (
    SlackApiServer,
    SlackCall,
    block_actions,
    buttons,
    dm_channel,
    event_callback,
    message_event,
    sign,
)

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from purser.app import Container
    from purser.config import Settings

__all__ = ["APPROVALS_CHANNEL", "APPROVER", "TEAM_CHANNEL", "SlackDriver", "SlackHarness"]

APPROVALS_CHANNEL = "C0GYMAPPROVALS"
TEAM_CHANNEL = "C0GYMTEAM"
APPROVER = "U0GYMAPPROVER"
"""The Slack user the harness configures as the one approver."""

_ICONS = (":white_check_mark: ", ":warning: ", ":no_entry: ", ":hourglass_flowing_sand: ", ":wave: ")


class SlackHarness:
    """One local Slack Web API for the process; a Slack user (and DM) of its own per trial."""

    def __init__(self) -> None:
        self.server = SlackApiServer().start()
        self.signing_secret = secrets.token_hex(16)
        self._users = itertools.count(1)
        self._lock = threading.Lock()

    def settings(self, base: Settings) -> Settings:
        """`base` with `channels.slack` pointing at the local Slack, the gym's approver and team channels."""
        slack = self.server.settings(
            self.signing_secret, approvals_channel=APPROVALS_CHANNEL, team_channel=TEAM_CHANNEL, approvers=(APPROVER,)
        )
        return base.model_copy(update={"channels": base.channels.model_copy(update={"slack": slack})})

    def driver(self, container: Container) -> SlackDriver:
        """A driver for one trial, as a Slack user of its own."""
        with self._lock:
            user = f"U0GYM{next(self._users):06d}"
        return SlackDriver(container, self, user=user)

    def close(self) -> None:
        """Stop the local Slack."""
        self.server.close()


class SlackDriver:
    """One gym customer writing in their Slack DM; the harness's approver pressing in the approvals channel."""

    def __init__(self, container: Container, harness: SlackHarness, *, user: str) -> None:
        if container.channels is None:
            raise ValueError("the container has no channels (build it from SlackHarness.settings(...))")
        from fastapi.testclient import TestClient

        from purser.web.app import create_app

        self.container = container
        self.service = container.channels
        self.harness = harness
        self.server = harness.server
        self.user = user
        self.dm = dm_channel(user)
        self.client: TestClient = TestClient(create_app(container))
        self._mark = 0
        self._cards: dict[str, SlackCall] = {}
        self._approvals_seen: set[str] = set()

    # -- the ConversationDriver protocol -------------------------------------------------------------
    def start(self, customer_id: str, channel: str) -> str:
        """Link this Slack user to the customer and bind their DM to a new conversation."""
        self.service.identity.link("slack", self.user, customer_id, by="admin:gym")
        self._mark = len(self.server.calls)
        return self.service.bind("slack", external_id=self.user, thread_key=self.dm, address={"channel": self.dm})

    def message(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        """The customer writes in their DM, as Slack posts it; the agent's answer as posted to Slack."""
        return self._post(conversation_id, "events", event_callback(message_event(self.user, text)))

    def confirm(self, conversation_id: str, action_id: str, decision: str) -> list[dict[str, Any]]:
        """The customer presses Confirm (`yes`) or Cancel on the card Purser posted."""
        card = self._cards.get(action_id)
        if card is None:
            raise ValueError(f"no confirmation card for action {action_id} was posted to this Slack user")
        return self._post(
            conversation_id, "interactions", self._press(card, "Confirm" if decision == "yes" else "Cancel")
        )

    def decide_approval(self, conversation_id: str, approval_id: str, *, approve: bool) -> list[dict[str, Any]]:
        """The approver presses Approve or Deny on the request in the approvals channel."""
        request = self._approval_post(approval_id)
        body = self._press(request, "Approve" if approve else "Deny", presser=APPROVER)
        return self._post(conversation_id, "interactions", body)

    # -- Slack's side --------------------------------------------------------------------------------
    def _press(self, post: SlackCall, label: str, *, presser: str | None = None) -> bytes:
        button = next((b for b in buttons(post) if b["text"]["text"] == label), None)
        if button is None:
            raise ValueError(f"the Slack post has no {label!r} button")
        channel, ts = post.body["channel"], post.response["ts"]
        return block_actions(presser or self.user, button["action_id"], button["value"], channel=channel, message_ts=ts)

    def _approval_post(self, approval_id: str) -> SlackCall:
        # Where Purser posted the request is in its own store; the server's `ts` is unique to that post.
        row = self.service.repo.token(LinkTokenId(f"slack-approval:{approval_id}"))
        if row is None:
            raise ValueError(f"approval {approval_id} was not posted to Slack")
        posted = json.loads(row.payload)
        for call in self.server.posts(posted["channel"]):
            if call.response["ts"] == posted["ts"]:
                return call
        raise ValueError(f"approval {approval_id}'s Slack post was not recorded")

    def _post(self, conversation_id: str, path: str, body: bytes) -> list[dict[str, Any]]:
        headers = {"content-type": "application/json" if path == "events" else "application/x-www-form-urlencoded"}
        headers |= sign(self.harness.signing_secret, body)
        answer = self.client.post(f"/channels/slack/{path}", content=body, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"Slack's {path} request was answered {answer.status_code}: {answer.text}")
        self.service.drain()
        return self._read_back(conversation_id)

    def _read_back(self, conversation_id: str) -> list[dict[str, Any]]:
        calls = self.server.calls[self._mark :]
        self._mark += len(calls)
        posted = [c for c in calls if c.method == "chat.postMessage" and c.response.get("ok")]
        events: list[dict[str, Any]] = []
        for call in posted:
            if call.body["channel"] != self.dm:
                continue
            kind = str(call.body.get("metadata", {}).get("event_type", "")).removeprefix("purser_")
            if kind == "confirmation_request":
                events.append(self._card(call))
            elif kind == "action_result":
                status = call.body["metadata"]["event_payload"]["status"]
                events.append({"type": "action_result", "action_id": "", "status": status, "summary": _text(call)})
            elif kind == "approval_pending":
                events.extend(self._pending(conversation_id, _text(call)))
            elif kind == "handoff":
                events.append(self._handoff(conversation_id, posted))
            else:
                message: dict[str, Any] = {"type": "message", "text": _text(call)}
                replies = [
                    {"label": b["text"]["text"], "text": parse_reply_value(b["value"]).text}
                    for b in buttons(call)
                    if str(b.get("action_id", "")).startswith(REPLY + ".")
                ]
                if replies:
                    message["quick_replies"] = replies
                events.append(message)
        return events

    def _card(self, call: SlackCall) -> dict[str, Any]:
        confirm = next(b for b in buttons(call) if b["text"]["text"] == "Confirm")
        value = parse_card_value(confirm["value"])
        self._cards[value.action_id] = call
        blocks = call.body["blocks"]
        facts = {}
        for block in blocks[1:]:
            for cell in block.get("fields", []):
                label, _, shown = cell["text"].partition("\n")
                facts[unescape(label.strip("*"))] = unescape(shown)
        summary = unescape(blocks[0]["text"]["text"])
        card = {"type": "confirmation_request", "action_id": value.action_id, "action": value.action}
        return card | {"summary": summary, "quote": facts}

    def _pending(self, conversation_id: str, text: str) -> list[dict[str, Any]]:
        events = []
        for request in self.container.gateway.approvals(conversation_id=conversation_id):
            if request.status == "pending" and str(request.id) not in self._approvals_seen:
                self._approvals_seen.add(str(request.id))
                events.append({"type": "approval_pending", "action_id": request.action_id, "summary": text})
        return events

    def _handoff(self, conversation_id: str, posted: list[SlackCall]) -> dict[str, Any]:
        """The handoff as the team channel got it: its reason and summary for the human."""
        for call in posted:
            if call.body["channel"] != TEAM_CHANNEL:
                continue
            row = self.service.repo.token(LinkTokenId(f"slack-team:{TEAM_CHANNEL}:{call.response['ts']}"))
            if row is not None and json.loads(row.payload).get("conversation_id") == conversation_id:
                reason = call.body["metadata"]["event_payload"]["reason"]
                return {"type": "handoff", "reason": reason, "summary": _text(call)}
        return {"type": "handoff", "reason": "", "summary": ""}


def _text(call: SlackCall) -> str:
    """A post's text as the customer reads it (Slack's escapes undone, the status icon dropped)."""
    text = str(call.body.get("text", ""))
    for icon in _ICONS:
        text = text.removeprefix(icon)
    return unescape(text)
