"""The Slack channel end to end (issue 14, Done when): Purser's web app, the real adapter, and a local
Slack API server; every request signed here exactly as Slack signs it and verified by slack_sdk.

The loop: a linked user's DM is answered with the right amount and date; a refund request gets a
Block Kit card whose signed Confirm press makes exactly one refund; an over-cap refund is posted to
the approvals channel, an approver's press executes it, the request is updated, and the customer
hears the outcome in their DM; a handoff reaches the team channel and a teammate's thread reply
reaches the customer. Bad input (signatures, timestamps, replays, size, someone else's button, a
stale button, malformed bodies) is refused with nothing written and nothing sent twice.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from purser.app import Container, build_for_world, read_state
from purser.channels.slack import SlackChannel
from purser.config import ChannelsSettings, Settings
from purser.gym.loader import load_file
from purser.ports.channels import ChannelName
from purser.store.agent_tables import ag_conversations, ag_events
from purser.store.channel_tables import ch_seen, ch_threads
from purser.store.gateway_tables import gw_actions, gw_approvals
from purser.testing.slack import (
    SlackApiServer,
    SlackCall,
    block_actions,
    buttons,
    dm_channel,
    event_callback,
    message_event,
    sign,
    url_verification,
)
from purser.web.app import create_app

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"
APPROVALS = "C0APPROVALS"
TEAM = "C0TEAMDESK"
APPROVER = "U0APPROVER"
MAYA, NORA = "U0MAYA", "U0NORA"


@dataclass
class SlackWorld:
    """One sandbox world: container, web client, local Slack, and the signing secret Slack holds."""

    container: Container
    server: SlackApiServer
    client: TestClient
    secret: str

    def post(self, path: str, body: bytes, *, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST `body` to /channels/slack/<path>, signed now unless `headers` are given."""
        sent = sign(self.secret, body) if headers is None else headers
        kind = "application/json" if path == "events" else "application/x-www-form-urlencoded"
        return self.client.post(f"/channels/slack/{path}", content=body, headers={"content-type": kind, **sent})

    def say(self, user: str, text: str, *, event_id: str | None = None, **extra: Any) -> httpx.Response:
        """`user` writes `text` in their DM (a signed `event_callback`); the turn is awaited."""
        answer = self.post("events", event_callback(message_event(user, text, **extra), event_id=event_id))
        self.drain()
        return answer

    def press(self, user: str, post: SlackCall, label: str) -> httpx.Response:
        """`user` presses the button labelled `label` on a recorded post (a signed `block_actions`)."""
        button = next(b for b in buttons(post) if b["text"]["text"] == label)
        body = block_actions(
            user, button["action_id"], button["value"], channel=post.body["channel"], message_ts=post.response["ts"]
        )
        answer = self.post("interactions", body)
        self.drain()
        return answer

    def drain(self) -> None:
        """Wait for the background turns and deliveries."""
        assert self.container.channels is not None
        self.container.channels.drain()

    def link(self, user: str, customer_id: str) -> None:
        """An administrator links a Slack user to a customer."""
        assert self.container.channels is not None
        self.container.channels.identity.link("slack", user, customer_id, by="admin:test")

    def texts(self, channel: str, *, since: int = 0) -> list[str]:
        """The texts of Purser's posts into `channel`."""
        return [str(c.body.get("text", "")) for c in self.server.posts(channel, since=since)]

    def cards(self, channel: str) -> list[SlackCall]:
        """Purser's posts into `channel` that carry buttons."""
        return [c for c in self.server.posts(channel) if list(buttons(c))]

    def state(self) -> Any:
        """The sandbox's world state (refunds, charges, subscriptions)."""
        return read_state(self.container.db)

    def written(self) -> dict[str, int]:
        """Row counts of everything a request could write (conversations, events, threads, actions, refunds)."""
        counts = {}
        with self.container.db.read() as conn:
            for table in (ag_conversations, ag_events, ch_threads, ch_seen, gw_actions, gw_approvals):
                counts[table.name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        counts["refunds"] = len(read_state(self.container.db).refunds)
        counts["slack_calls"] = len(self.server.calls)
        return counts


@contextmanager
def slack_world(scenario: str) -> Iterator[SlackWorld]:
    """The scenario's world and policy, served with `channels.slack` on a local Slack API server."""
    loaded = load_file(SCENARIOS / f"{scenario}.yaml")
    secret = secrets.token_hex(16)
    with SlackApiServer() as server:
        slack = server.settings(secret, approvals_channel=APPROVALS, team_channel=TEAM, approvers=(APPROVER,))
        settings = Settings(channels=ChannelsSettings(slack=slack))
        container = build_for_world(
            loaded.world, loaded.now, policy_overrides=loaded.policy_overrides or None, settings=settings
        )
        try:
            yield SlackWorld(container, server, TestClient(create_app(container)), secret)
        finally:
            container.close()


@pytest.fixture
def maya() -> Iterator[SlackWorld]:
    """Maya (Pro, $20.00 a month, charged 1 November 2026), linked as U0MAYA; refunds within policy."""
    with slack_world("refund-this-month-forgot-to-cancel") as world:
        world.link(MAYA, "cus_maya")
        yield world


@pytest.fixture
def nora() -> Iterator[SlackWorld]:
    """Nora, linked as U0NORA, under a fixed $10.00 refund cap: her $20.00 refund needs approval."""
    with slack_world("refund-cap-fixed-approved") as world:
        world.link(NORA, "cus_nora")
        yield world


# -- the Done-when loop ------------------------------------------------------------------------------
def test_a_linked_user_hears_their_plan_amount_and_next_charge_date(maya: SlackWorld) -> None:
    answer = maya.say(MAYA, "what's my plan and when is my next charge?")
    assert answer.status_code == 200
    [reply] = maya.server.posts(dm_channel(MAYA))
    assert "Pro" in reply.body["text"] and "$20.00" in reply.body["text"]
    assert "1 December 2026" in reply.body["text"]
    assert reply.headers["authorization"] == f"Bearer {maya.server.bot_token}"
    assert reply.body["metadata"] == {"event_type": "purser_message", "event_payload": {}}
    assert "cus_maya" not in json.dumps(reply.body)


def test_a_refund_is_a_card_whose_confirm_press_refunds_exactly_once(maya: SlackWorld) -> None:
    maya.say(MAYA, "please refund this month's charge")
    [card] = maya.cards(dm_channel(MAYA))
    section, facts, actions = card.body["blocks"][0], card.body["blocks"][1], card.body["blocks"][-1]
    assert "$20.00" in section["text"]["text"]
    assert {"type": "mrkdwn", "text": "*Amount*\n$20.00"} in facts["fields"]
    assert {"type": "mrkdwn", "text": "*Charged on*\n1 November 2026"} in facts["fields"]
    confirm, cancel = actions["elements"]
    assert (confirm["text"]["text"], confirm["style"], cancel["text"]["text"]) == ("Confirm", "primary", "Cancel")
    assert "ch_maya_11" not in card.body["text"] and "act_" not in card.body["text"]  # no internal ids shown
    assert maya.state().refunds == {}

    before = len(maya.server.calls)
    assert maya.press(MAYA, card, "Confirm").status_code == 200
    refunds = list(maya.state().refunds.values())
    assert [(r.charge, r.amount.amount_str()) for r in refunds] == [("ch_maya_11", "20.00")]
    after = maya.server.posts(dm_channel(MAYA), since=before)
    [result] = [p for p in after if p.body["metadata"]["event_type"] == "purser_action_result"]
    assert result.body["metadata"]["event_payload"] == {"status": "succeeded"}
    assert result.body["text"].startswith(":white_check_mark:") and "$20.00" in result.body["text"]

    # Slack retries a press it thinks was lost, and an impatient customer presses again: one refund.
    pressed = len(maya.server.calls)
    assert maya.press(MAYA, card, "Confirm").status_code == 200
    assert len(maya.state().refunds) == 1
    [stale] = maya.texts(dm_channel(MAYA), since=pressed)
    assert "no longer active" in stale


def test_cancel_on_the_card_refunds_nothing(maya: SlackWorld) -> None:
    maya.say(MAYA, "please refund this month's charge")
    [card] = maya.cards(dm_channel(MAYA))
    assert maya.press(MAYA, card, "Cancel").status_code == 200
    assert maya.state().refunds == {}
    assert maya.server.posts(dm_channel(MAYA))[-1].body["metadata"]["event_type"] != "purser_confirmation_request"


def test_an_over_cap_refund_is_approved_in_slack_and_the_customer_hears_it(nora: SlackWorld) -> None:
    nora.say(NORA, "please refund this month's charge")
    [card] = nora.cards(dm_channel(NORA))
    nora.press(NORA, card, "Confirm")
    assert nora.state().refunds == {}
    kinds = {p.body["metadata"]["event_type"]: p for p in nora.server.posts(dm_channel(NORA))}
    pending = kinds["purser_approval_pending"]
    assert "teammate is reviewing" in pending.body["text"]

    [request] = nora.server.posts(APPROVALS)
    assert [(b["text"]["text"], b.get("style")) for b in buttons(request)] == [
        ("Approve", "primary"),
        ("Deny", "danger"),
    ]
    assert {"type": "mrkdwn", "text": "*Amount*\n$20.00"} in request.body["blocks"][1]["fields"]

    # Only an approver may press: Nora herself (or anyone else) is refused and nothing changes.
    before = nora.written()
    assert nora.press(NORA, request, "Approve").status_code == 403
    assert nora.written() == before

    decided = len(nora.server.calls)
    assert nora.press(APPROVER, request, "Approve").status_code == 200
    refunds = list(nora.state().refunds.values())
    assert [(r.charge, r.amount.amount_str()) for r in refunds] == [("ch_nora_11", "20.00")]
    outcome = nora.server.posts(dm_channel(NORA), since=decided)
    assert any(p.body["metadata"]["event_payload"] == {"status": "succeeded"} for p in outcome)
    assert any("$20.00" in p.body["text"] for p in outcome)

    calls = nora.server.wait_for(lambda calls: any(c.method == "chat.update" for c in calls[decided:]))
    [update] = [c for c in calls[decided:] if c.method == "chat.update"]
    assert (update.body["channel"], update.body["ts"]) == (APPROVALS, request.response["ts"])
    assert not list(buttons(update)) and f"Approved by <@{APPROVER}>" in json.dumps(update.body["blocks"])
    # A second press on the decided request changes nothing more, and the post keeps the first decision.
    nora.press(APPROVER, request, "Deny")
    assert len(nora.state().refunds) == 1
    assert nora.container.channels is not None
    desk = nora.container.channels.adapters[ChannelName("slack")]
    assert isinstance(desk, SlackChannel)
    updates = len([c for c in nora.server.calls if c.method == "chat.update"])
    approval_id = next(buttons(request))["value"]
    desk.approval_decided(approval_id=approval_id, approve=False, approver="slack:U0LATE", outcome="late")
    assert len([c for c in nora.server.calls if c.method == "chat.update"]) == updates


def test_an_approver_can_deny_and_the_customer_is_told(nora: SlackWorld) -> None:
    nora.say(NORA, "please refund this month's charge")
    nora.press(NORA, nora.cards(dm_channel(NORA))[0], "Confirm")
    [request] = nora.server.posts(APPROVALS)
    decided = len(nora.server.calls)
    assert nora.press(APPROVER, request, "Deny").status_code == 200
    assert nora.state().refunds == {}
    outcome = nora.server.posts(dm_channel(NORA), since=decided)
    assert any("declined" in p.body["text"] for p in outcome), [c.body for c in nora.server.calls[decided:]]
    assert all(p.body["metadata"]["event_payload"].get("status") != "succeeded" for p in outcome)
    calls = nora.server.wait_for(lambda calls: any(c.method == "chat.update" for c in calls[decided:]))
    assert "Denied by" in json.dumps([c.body for c in calls[decided:] if c.method == "chat.update"])


def test_a_handoff_reaches_the_team_and_a_thread_reply_reaches_the_customer() -> None:
    with slack_world("escalate-human-request") as world:
        loaded = load_file(SCENARIOS / "escalate-human-request.yaml")
        world.link(MAYA, loaded.customer)
        world.say(MAYA, "I want to talk to a human please")
        [handoff] = world.server.posts(TEAM)
        assert handoff.body["metadata"]["event_type"] == "purser_handoff"
        assert loaded.customer in json.dumps(handoff.body["blocks"])  # the team sees who it is
        assert world.server.posts(dm_channel(MAYA))[-1].body["metadata"]["event_type"] == "purser_handoff"

        before = len(world.server.calls)
        reply = message_event("U0TEAMMATE", "Hi, I'm Sam from billing. Looking at it now.", channel=TEAM)
        reply |= {"thread_ts": handoff.response["ts"], "channel_type": "channel"}
        assert world.post("events", event_callback(reply)).status_code == 200
        world.drain()
        assert any("I'm Sam from billing" in t for t in world.texts(dm_channel(MAYA), since=before))

        # A top-level message in the team channel, or a reply to a post that is not a handoff, goes nowhere.
        stray = len(world.server.calls)
        world.post("events", event_callback(message_event("U0TEAMMATE", "lunch?", channel=TEAM)))
        other = message_event("U0TEAMMATE", "hm", channel=TEAM) | {"thread_ts": "1.000001"}
        world.post("events", event_callback(other))
        world.drain()
        assert world.server.calls[stray:] == []


def test_an_unlinked_user_gets_a_knowledge_answer_and_the_link_hint_never_account_data(maya: SlackWorld) -> None:
    stranger = "U0STRANGER"
    before = maya.written()
    assert maya.say(stranger, "what's my plan and when is my next charge?").status_code == 200
    opened = [c for c in maya.server.calls if c.method == "conversations.open"]
    assert [c.body["users"] for c in opened] == [stranger]
    [reply] = maya.server.posts(dm_channel(stranger))
    assert "email address on your account" in reply.body["text"]
    assert "$20.00" not in reply.body["text"] and "Pro" not in reply.body["text"]
    after = maya.written()
    assert (after["ag_conversations"], after["gw_actions"]) == (before["ag_conversations"], before["gw_actions"])


def test_an_unlinked_user_links_themselves_with_the_code_emailed_to_the_address_on_file(maya: SlackWorld) -> None:
    stranger = "U0NEWMAYA"
    # Slack auto-links a typed address: the event's text is `<mailto:…|…>`.
    maya.say(stranger, "It's <mailto:maya@example.com|maya@example.com>")
    assert "If maya@example.com is the address" in maya.texts(dm_channel(stranger))[-1]
    outbox = maya.container.outbox
    assert outbox is not None
    [email] = [e.email for e in outbox.entries() if e.email.kind == "verification_code"]
    assert email.to == "maya@example.com"
    [code] = re.findall(r"\b\d{6}\b", email.text)
    maya.say(stranger, code)
    assert "now connected" in maya.texts(dm_channel(stranger))[-1]
    maya.say(stranger, "what's my plan and when is my next charge?")
    assert "$20.00" in maya.texts(dm_channel(stranger))[-1]


def test_url_verification_echoes_the_challenge(maya: SlackWorld) -> None:
    answer = maya.post("events", url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


# -- bad input: a clear refusal, nothing written, nothing sent ------------------------------------------
def _dm(user: str = MAYA, text: str = "please refund this month's charge") -> bytes:
    return event_callback(message_event(user, text))


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param(lambda secret, body: {}, 401, id="missing signature"),
        pytest.param(lambda secret, body: sign("not-the-secret", body), 401, id="wrong secret"),
        pytest.param(lambda secret, body: sign(secret, body + b" "), 401, id="body changed after signing"),
        pytest.param(lambda secret, body: sign(secret, body, timestamp=int(time.time()) - 310), 401, id="stale"),
        pytest.param(lambda secret, body: sign(secret, body, timestamp=int(time.time()) + 310), 401, id="future"),
        pytest.param(
            lambda secret, body: sign(secret, body) | {"X-Slack-Request-Timestamp": "yesterday"}, 401, id="bad time"
        ),
        pytest.param(lambda secret, body: {"X-Slack-Signature": "v0=00"}, 401, id="no timestamp"),
    ],
)
def test_bad_signatures_are_refused_and_change_nothing(maya: SlackWorld, headers: Any, status: int) -> None:
    body = _dm()
    before = maya.written()
    answer = maya.post("events", body, headers=headers(maya.secret, body))
    maya.drain()
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == "signature_invalid"
    assert maya.written() == before


def test_a_replayed_event_id_runs_once(maya: SlackWorld) -> None:
    body = _dm(text="what's my plan?")
    assert maya.post("events", body).status_code == 200
    maya.drain()
    once = maya.written()
    # Slack's retry of the same event (same event_id), freshly signed: acknowledged, not run again.
    assert maya.post("events", body, headers=sign(maya.secret, body) | {"X-Slack-Retry-Num": "1"}).status_code == 200
    maya.drain()
    assert maya.written() == once
    assert len(maya.server.posts(dm_channel(MAYA))) == 1


def test_an_oversized_body_is_refused_before_verification(maya: SlackWorld) -> None:
    body = _dm(text="x" * (70 * 1024))
    before = maya.written()
    assert maya.post("events", body).status_code == 413
    assert maya.written() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("events", b"{not json"),
        ("events", b"[1, 2]"),
        ("events", json.dumps({"type": "event_callback", "event_id": "Ev1"}).encode()),
        ("events", json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode()),
        ("interactions", b"payload=%7Bnot-json"),
        ("interactions", b"nothing=here"),
        ("interactions", urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode()),
        ("elsewhere", b"{}"),
    ],
)
def test_malformed_bodies_are_400_and_change_nothing(maya: SlackWorld, path: str, body: bytes) -> None:
    before = maya.written()
    answer = maya.post(path, body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "channel_bad_request"
    assert maya.written() == before


@pytest.mark.parametrize(
    "event",
    [
        message_event(MAYA, "edited", subtype="message_changed"),
        message_event(MAYA, "joined", subtype="channel_join"),
        message_event("U0PURSERBOT", "our own post"),
        message_event(MAYA, "a bot", bot_id="B0OTHER"),
        message_event(MAYA, "in an internal channel", channel="C0GENERAL"),
        {"type": "reaction_added", "user": MAYA, "reaction": "thumbsup"},
        message_event(MAYA, "   "),
    ],
    ids=["edit", "join", "own bot", "other bot", "internal channel", "other event type", "blank"],
)
def test_events_that_are_not_a_customer_writing_are_acknowledged_and_ignored(
    maya: SlackWorld, event: dict[str, Any]
) -> None:
    before = maya.written()
    assert maya.post("events", event_callback(event)).status_code == 200
    maya.drain()
    after = maya.written()
    assert after["ag_conversations"] == before["ag_conversations"] and after["slack_calls"] == before["slack_calls"]


def test_a_slack_connect_channel_is_a_customer_thread(maya: SlackWorld) -> None:
    shared = "C0SHAREDWITHACME"
    customer = message_event(MAYA, "what's my plan?", channel=shared, user_team="T0ACME")
    assert maya.post("events", event_callback(customer, shared=True)).status_code == 200
    maya.drain()
    [reply] = maya.server.posts(shared)
    assert "$20.00" in reply.body["text"]
    # Our own people talking in the shared channel are not customers: no answer, no link hint.
    before = maya.written()
    colleague = message_event("U0OURS", "I'll take this one", channel=shared, user_team="T0PURSER")
    assert maya.post("events", event_callback(colleague, shared=True)).status_code == 200
    maya.drain()
    assert maya.written() == before


def test_someone_elses_press_on_a_card_is_403_and_changes_nothing(maya: SlackWorld) -> None:
    maya.say(MAYA, "please refund this month's charge")
    [card] = maya.cards(dm_channel(MAYA))
    before = maya.written()
    # Another linked user (say, in a shared channel) presses Maya's Confirm.
    maya.link("U0COLLEAGUE", "cus_maya")
    answer = maya.press("U0COLLEAGUE", card, "Confirm")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "channel_forbidden"
    assert maya.written() == before


def test_approve_outside_the_approvals_channel_is_403(nora: SlackWorld) -> None:
    nora.say(NORA, "please refund this month's charge")
    nora.press(NORA, nora.cards(dm_channel(NORA))[0], "Confirm")
    [request] = nora.server.posts(APPROVALS)
    approval_id = next(buttons(request))["value"]
    body = block_actions(APPROVER, "purser.approve", approval_id, channel=dm_channel(APPROVER), message_ts="1.1")
    before = nora.written()
    assert nora.post("interactions", body).status_code == 403
    assert nora.written() == before


def test_a_forged_card_value_is_400(maya: SlackWorld) -> None:
    for value in ("not json", json.dumps({"id": "act_x"}), json.dumps({"id": "a" * 300, "action": "r", "user": MAYA})):
        body = block_actions(MAYA, "purser.confirm", value, channel=dm_channel(MAYA), message_ts="1.1")
        before = maya.written()
        assert maya.post("interactions", body).status_code == 400
        assert maya.written() == before


def test_a_press_for_an_unknown_action_gets_a_polite_message(maya: SlackWorld) -> None:
    value = json.dumps({"id": "act_000000000000000000000000", "action": "refund", "user": MAYA})
    maya.say(MAYA, "hello")
    before = len(maya.server.calls)
    body = block_actions(MAYA, "purser.confirm", value, channel=dm_channel(MAYA), message_ts="1.1")
    assert maya.post("interactions", body).status_code == 200
    maya.drain()
    assert maya.state().refunds == {}
    assert ["no longer active" in t for t in maya.texts(dm_channel(MAYA), since=before)] == [True]


def test_slack_refusing_a_post_is_retried_and_never_leaks_the_token(
    maya: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    maya.server.fail_next("chat.postMessage", "ratelimited")
    maya.say(MAYA, "what's my plan?")
    attempts = [c for c in maya.server.calls if c.method == "chat.postMessage"]
    assert [c.response["ok"] for c in attempts] == [False, True]
    assert maya.server.bot_token not in caplog.text


def test_a_delivery_failing_part_way_is_retried_without_posting_anything_twice(maya: SlackWorld) -> None:
    # The refund turn posts a message and then the card; Slack refuses the card once.
    maya.server.fail_next("chat.postMessage", "internal_error", after=1)
    maya.say(MAYA, "please refund this month's charge")
    attempts = [c for c in maya.server.calls if c.method == "chat.postMessage"]
    assert [c.response["ok"] for c in attempts] == [True, False, True]
    assert attempts[1].body == attempts[2].body and list(buttons(attempts[2]))
    assert len(maya.cards(dm_channel(MAYA))) == 1
