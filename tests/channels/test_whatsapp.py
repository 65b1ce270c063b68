"""WhatsApp end to end: Meta's signed webhooks into the real web app, replies to a local Graph API.

Every request is signed here as Meta signs it (HMAC-SHA256 of the raw body with the app secret)
and verified by the adapter; every reply is what Purser really posted to the local Graph API
(`purser.testing.whatsapp`), which checks the message shapes and limits as WhatsApp does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from purser.app import Container, build_for_world, read_state
from purser.channels.service import LINK_HINT, STALE_BUTTON
from purser.channels.whatsapp import TEXT_ONLY
from purser.config import ChannelsSettings, Settings
from purser.domain.dates import iso_utc
from purser.gym.loader import load_file
from purser.ports.channels import ChannelName
from purser.testing.whatsapp import GraphCall, SignedWebhook, WhatsAppServer
from purser.web.app import create_app

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"
WEBHOOK = "/channels/whatsapp/webhook"
MAYA = "15550001111"
STRANGER = "15550009999"


@dataclass
class Rig:
    """A sandbox world behind the web app, with WhatsApp pointed at the local Graph API."""

    container: Container
    server: WhatsAppServer
    client: TestClient

    def post(
        self, hook: SignedWebhook | None = None, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> int:
        """POST a webhook to the app and wait for its background work; the HTTP status."""
        if hook is not None:
            body, headers = hook.body, hook.headers
        status = self.client.post(WEBHOOK, content=body, headers=headers or {}).status_code
        self.drain()
        return status

    def drain(self) -> None:
        assert self.container.channels is not None
        self.container.channels.drain()

    def sent(self, to: str = MAYA) -> list[GraphCall]:
        """Accepted messages to a number."""
        return [c for c in self.server.recorded(to=to) if c.message_id is not None]

    def texts(self, to: str = MAYA) -> list[str]:
        return [c.body["text"]["body"] for c in self.sent(to) if c.body["type"] == "text"]

    def cards(self, to: str = MAYA) -> list[dict[str, Any]]:
        return [c.body["interactive"] for c in self.sent(to) if c.body["type"] == "interactive"]

    def refunds(self) -> list[tuple[str, str]]:
        state = read_state(self.container.db)
        return sorted((r.charge, r.amount.amount_str()) for r in state.refunds.values())

    def link(self, wa_id: str, customer: str) -> None:
        assert self.container.channels is not None
        self.container.channels.identity.link("whatsapp", wa_id, customer, by="admin:test")

    def conversations(self) -> int:
        return len(self.container.runtime.conversations(limit=100))


def rig_for(scenario: str, tmp_path: Path, **settings: Any) -> Iterator[Rig]:
    loaded = load_file(SCENARIOS / f"{scenario}.yaml")
    server = WhatsAppServer().start()
    channels = ChannelsSettings(whatsapp=server.settings(**settings))
    container = build_for_world(
        loaded.world,
        loaded.now,
        policy_overrides=loaded.policy_overrides or None,
        settings=Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", channels=channels),
    )
    try:
        yield Rig(container, server, TestClient(create_app(container)))
    finally:
        container.close()
        server.close()


@pytest.fixture
def maya(tmp_path: Path) -> Iterator[Rig]:
    """Maya (Pro, $20.00 a month, renewed 1 November 2026), refunds capped at the default."""
    yield from rig_for("refund-this-month-forgot-to-cancel", tmp_path)


@pytest.fixture
def nora(tmp_path: Path) -> Iterator[Rig]:
    """Nora (Pro, $20.00 a month), refunds above $10.00 need approval."""
    yield from rig_for("refund-cap-fixed-approved", tmp_path)


def press(rig: Rig, card: dict[str, Any], title: str, *, wa_id: str = MAYA, message_id: str | None = None) -> int:
    """Tap the button titled `title` on a card, as WhatsApp posts it."""
    button = next(b["reply"] for b in card["action"]["buttons"] if b["reply"]["title"] == title)
    return rig.post(rig.server.reply_webhook(wa_id, button["id"], button["title"], message_id=message_id))


# -- the loop -------------------------------------------------------------------------------------
def test_meta_verification_handshake_echoes_the_challenge_only_for_the_right_token(maya: Rig) -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": maya.server.verify_token, "hub.challenge": "1158201444"}
    answer = maya.client.get(WEBHOOK, params=good)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    assert answer.headers["content-type"].startswith("text/plain")
    assert maya.client.get(WEBHOOK, params={**good, "hub.verify_token": "guess"}).status_code == 403
    assert maya.client.get(WEBHOOK, params={**good, "hub.mode": "unsubscribe"}).status_code == 403
    assert maya.client.get(WEBHOOK, params={**good, "hub.challenge": "<script>"}).status_code == 400


def test_a_linked_customer_is_told_plan_amount_and_next_charge_in_plain_text(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    assert maya.post(maya.server.text_webhook(MAYA, "what's my plan and when is my next charge?")) == 200
    [call] = maya.sent()
    assert call.headers["authorization"] == f"Bearer {maya.server.access_token}"
    assert call.path == f"/v21.0/{maya.server.phone_number_id}/messages"
    assert call.body["messaging_product"] == "whatsapp" and call.body["type"] == "text"
    reply = call.body["text"]["body"]
    assert "Pro" in reply and "$20.00" in reply and "1 December 2026" in reply
    assert "sub_maya" not in reply and "pro-monthly" not in reply and "**" not in reply


def test_a_refund_is_confirmed_with_reply_buttons_and_one_press_makes_exactly_one_refund(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    maya.post(maya.server.text_webhook(MAYA, "please refund this month's charge"))
    [card] = maya.cards()
    assert maya.texts() == []  # the agent's introduction is the card's own text
    assert card["type"] == "button" and "Please confirm" in card["body"]["text"]
    assert [b["reply"]["title"] for b in card["action"]["buttons"]] == ["Confirm", "Cancel"]
    assert "$20.00" in card["body"]["text"] and "ch_maya" not in card["body"]["text"]
    assert maya.refunds() == []

    tap = maya.server.reply_webhook(MAYA, card["action"]["buttons"][0]["reply"]["id"], "Confirm")
    assert maya.post(tap) == 200
    assert maya.refunds() == [("ch_maya_11", "20.00")]
    outcome = maya.texts()[-1]
    assert "Refunded $20.00" in outcome and sum("Refunded" in text for text in maya.texts()) == 1
    sent_before = len(maya.sent())

    assert maya.post(tap) == 200  # Meta retries the same webhook: the same wamid runs once
    assert maya.refunds() == [("ch_maya_11", "20.00")] and len(maya.sent()) == sent_before

    assert press(maya, card, "Confirm") == 200  # a fresh tap on an answered card: told politely
    assert maya.refunds() == [("ch_maya_11", "20.00")]
    assert maya.texts()[-1] == STALE_BUTTON


def test_cancel_makes_no_refund(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    maya.post(maya.server.text_webhook(MAYA, "please refund this month's charge"))
    assert press(maya, maya.cards()[0], "Cancel") == 200
    assert maya.refunds() == []


def test_an_over_cap_refund_waits_for_approval_and_the_outcome_reaches_the_customer_on_whatsapp(nora: Rig) -> None:
    nora.link(MAYA, "cus_nora")
    nora.post(nora.server.text_webhook(MAYA, "Please refund my whole November charge, $20."))
    assert press(nora, nora.cards()[0], "Confirm") == 200
    assert nora.refunds() == []
    assert "teammate is reviewing" in nora.texts()[-1]
    [pending] = [a for a in nora.container.gateway.approvals() if a.status == "pending"]

    nora.container.runtime.decide_approval(str(pending.id), approve=True, approver="lead", reason="ok")
    nora.drain()
    assert nora.refunds() == [("ch_nora_11", "20.00")]
    assert "20.00" in nora.texts()[-1]


# -- bad input: a clear refusal, nothing written, nothing sent --------------------------------------
def _nothing_happened(rig: Rig) -> None:
    assert rig.conversations() == 0 and rig.server.recorded() == [] and rig.refunds() == []


def test_missing_or_wrong_signature_is_401_and_changes_nothing(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    hook = maya.server.text_webhook(MAYA, "please refund this month's charge")
    assert maya.post(body=hook.body, headers={"content-type": "application/json"}) == 401
    forged = WhatsAppServer(app_secret="not-the-app-secret").signed_headers(hook.body)
    assert maya.post(body=hook.body, headers=forged) == 401
    tampered = hook.body.replace(b"refund", b"REFUND")
    assert maya.post(body=tampered, headers=hook.headers) == 401
    assert maya.post(body=hook.body, headers={"x-hub-signature-256": "sha1=" + "0" * 40}) == 401
    _nothing_happened(maya)
    assert maya.post(hook) == 200  # the same message, signed, was never marked as seen
    assert maya.conversations() == 1


def test_malformed_bodies_are_400_oversized_413_and_change_nothing(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    malformed = (
        b"{not json",
        b"[]",
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": 3}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": 1}]}]}',
    )
    for body in malformed:
        assert maya.post(body=body, headers=maya.server.signed_headers(body)) == 400, body
    deep = b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    assert maya.post(body=deep, headers=maya.server.signed_headers(deep)) == 400
    bad_sender = maya.server.text_webhook("not-a-number", "hi")
    assert maya.post(bad_sender) == 400
    huge = maya.server.text_webhook(MAYA, "x" * 70_000)
    assert maya.post(huge) == 413
    _nothing_happened(maya)


def test_a_replayed_message_runs_once(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    hook = maya.server.text_webhook(MAYA, "what's my plan?")
    assert maya.post(hook) == 200 and maya.post(hook) == 200
    assert len(maya.sent()) == 1
    assert maya.container.runtime.conversations(limit=5)[0].turns == 1


def test_statuses_other_numbers_and_stale_messages_are_acknowledged_and_ignored(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    assert maya.post(maya.server.status_webhook(MAYA, "wamid.HBgLMTU1NTAwMDExMTEVAgARGBI")) == 200
    old = datetime.now(UTC) - timedelta(days=8)
    assert maya.post(maya.server.text_webhook(MAYA, "please refund this month's charge", at=old)) == 200
    other = WhatsAppServer(phone_number_id="999", app_secret=maya.server.app_secret)
    assert maya.post(other.text_webhook(MAYA, "please refund this month's charge")) == 200
    _nothing_happened(maya)


def test_a_button_pressed_from_another_number_does_nothing_but_say_so(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    maya.post(maya.server.text_webhook(MAYA, "please refund this month's charge"))
    card = maya.cards()[0]
    forged = maya.server.reply_webhook(MAYA, "purser:yes:refund:act_" + "9" * 240, "Confirm")
    assert maya.post(forged) == 200  # an id no action can have: not a press
    assert press(maya, card, "Confirm", wa_id=STRANGER) == 200  # not linked at all
    assert maya.texts(STRANGER) == [STALE_BUTTON]
    maya.link("15550002222", "cus_maya")  # linked, but the card is not in their chat's conversation
    assert press(maya, card, "Confirm", wa_id="15550002222") == 200
    assert maya.texts("15550002222") == [STALE_BUTTON]
    assert maya.refunds() == []


def test_an_unlinked_number_gets_general_answers_and_the_link_hint_never_account_data(maya: Rig) -> None:
    assert maya.post(maya.server.text_webhook(STRANGER, "what's my plan and when is my next charge?")) == 200
    [reply] = maya.texts(STRANGER)
    assert reply.endswith(LINK_HINT)
    assert "Maya" not in reply and "$20.00" not in reply and "December" not in reply
    assert maya.conversations() == 0


def test_media_gets_a_text_only_answer_once(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    image = maya.server.media_webhook(MAYA, "image")
    assert maya.post(image) == 200 and maya.post(image) == 200
    assert maya.texts() == [TEXT_ONLY]
    assert maya.conversations() == 0


# -- proactive messages (dunning) and the 24-hour window --------------------------------------------
def _age_thread(rig: Rig, wa_id: str, hours: int) -> None:
    assert rig.container.channels is not None
    repo = rig.container.channels.repo
    thread = repo.thread(ChannelName("whatsapp"), wa_id)
    assert thread is not None
    stale = iso_utc(datetime.now(UTC) - timedelta(hours=hours))
    repo.save_thread(replace(thread, last_inbound_at=stale))


def test_one_number_is_one_conversation_and_a_notice_inside_the_window_is_plain_text(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    maya.post(maya.server.text_webhook(MAYA, "what's my plan?"))
    maya.post(maya.server.text_webhook(MAYA, "and my invoices?"))
    assert maya.conversations() == 1
    assert maya.container.channels is not None
    assert maya.container.channels.notify("cus_maya", "Your card was declined.") is True
    assert maya.texts()[-1] == "Your card was declined."


def test_a_notice_after_a_day_of_silence_goes_out_as_the_template(maya: Rig) -> None:
    maya.link(MAYA, "cus_maya")
    assert maya.container.channels is not None
    maya.container.channels.bind("whatsapp", external_id=MAYA, thread_key=MAYA, address={"wa_id": MAYA})
    _age_thread(maya, MAYA, hours=30)
    assert maya.container.channels.notify("cus_maya", "Your card was declined.\nUpdate it here.") is True
    [call] = maya.sent()
    assert call.body["type"] == "template"
    assert call.body["template"]["components"][0]["parameters"][0]["text"] == "Your card was declined. Update it here."


@pytest.fixture
def maya_without_template(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_for("refund-this-month-forgot-to-cancel", tmp_path, template=None)


def test_without_a_template_a_notice_after_a_day_is_not_sent_so_dunning_can_email(maya_without_template: Rig) -> None:
    rig = maya_without_template
    rig.link(MAYA, "cus_maya")
    assert rig.container.channels is not None
    rig.container.channels.bind("whatsapp", external_id=MAYA, thread_key=MAYA, address={"wa_id": MAYA})
    _age_thread(rig, MAYA, hours=30)
    assert rig.container.channels.notify("cus_maya", "Your card was declined.") is False
    assert rig.server.recorded() == []


def test_an_unlinked_number_links_itself_with_the_code_emailed_to_the_address_on_file(maya: Rig) -> None:
    maya.post(maya.server.text_webhook(STRANGER, "It's maya@example.com"))
    outbox = maya.container.outbox
    assert outbox is not None
    [email] = [e.email for e in outbox.entries() if e.email.kind == "verification_code"]
    assert email.to == "maya@example.com"
    [code] = re.findall(r"\b\d{6}\b", email.text)
    assert maya.post(maya.server.text_webhook(STRANGER, code)) == 200
    assert maya.conversations() == 0  # linking is not a conversation
    maya.post(maya.server.text_webhook(STRANGER, "what's my plan and when is my next charge?"))
    assert "$20.00" in maya.texts(STRANGER)[-1] and maya.conversations() == 1
