"""Slack (issue 17): quick replies as Block Kit buttons whose press is the customer's message, and a
confirmation card updated in place (`chat.update`, buttons removed) once it is answered."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.channels.test_slack import MAYA, NORA, SlackWorld, slack_world

from purser.testing.slack import SlackApiServer, buttons, dm_channel


@pytest.fixture
def maya() -> Iterator[SlackWorld]:
    """Maya (Pro, $20.00 a month), linked as U0MAYA; the policy offers a pause before a cancellation."""
    with slack_world("refund-this-month-forgot-to-cancel") as world:
        world.link(MAYA, "cus_maya")
        yield world


def _transcript_texts(world: SlackWorld) -> list[str]:
    rt = world.container.runtime
    thread = world.container.channels.repo.thread("slack", dm_channel(MAYA))  # type: ignore[union-attr]
    assert thread is not None
    return [e.event.get("text", "") for e in rt.transcript(thread.conversation_id) if e.role == "customer"]


def test_the_save_offer_has_buttons_and_a_press_is_the_customers_answer(maya: SlackWorld) -> None:
    maya.say(MAYA, "cancel my subscription")
    [offer] = [p for p in maya.cards(dm_channel(MAYA)) if p.body["metadata"]["event_type"] == "purser_message"]
    assert [b["text"]["text"] for b in buttons(offer)] == ["Pause instead", "Cancel anyway"]
    assert offer.body["blocks"][0]["type"] == "section" and "pause" in offer.body["blocks"][0]["text"]["text"]
    assert offer.response["ok"]  # the local Slack accepted the blocks (Block Kit's limits)
    assert maya.press(MAYA, offer, "Pause instead").status_code == 200
    assert _transcript_texts(maya)[-1] == "Pause my subscription instead"
    [card] = [p for p in maya.cards(dm_channel(MAYA)) if p.body["metadata"]["event_type"] != "purser_message"]
    assert "Pause" in card.body["text"]  # the agent quoted the pause for confirmation
    # The answered offer keeps its words and loses its buttons.
    [retired] = maya.server.updates(dm_channel(MAYA))
    assert retired.body["ts"] == offer.response["ts"] and not list(buttons(retired))
    stored = maya.server.messages[(dm_channel(MAYA), offer.response["ts"])]
    assert [b["type"] for b in stored["blocks"]] == ["section"] and "pause" in stored["blocks"][0]["text"]["text"]


def test_typing_instead_of_pressing_also_retires_the_buttons(maya: SlackWorld) -> None:
    maya.say(MAYA, "cancel my subscription")
    [offer] = maya.cards(dm_channel(MAYA))
    maya.say(MAYA, "what's my plan?")
    [retired] = maya.server.updates(dm_channel(MAYA))
    assert retired.body["ts"] == offer.response["ts"] and not list(buttons(retired))


def test_a_refused_update_of_old_buttons_is_only_logged(maya: SlackWorld) -> None:
    maya.say(MAYA, "cancel my subscription")
    maya.server.fail_next("chat.update", "ratelimited")
    maya.say(MAYA, "what's my plan?")
    assert maya.server.updates() == []
    assert any("Pro" in t for t in maya.texts(dm_channel(MAYA)))  # the turn's answer went out all the same
    maya.say(MAYA, "thanks")
    assert maya.server.updates() == []  # tried once; nothing left to retire


def test_someone_elses_press_on_a_quick_reply_is_403_and_changes_nothing(maya: SlackWorld) -> None:
    maya.say(MAYA, "cancel my subscription")
    [offer] = maya.cards(dm_channel(MAYA))
    before = maya.written()
    assert maya.press(NORA, offer, "Cancel anyway").status_code == 403
    assert maya.written() == before


def test_a_forged_quick_reply_value_is_400(maya: SlackWorld) -> None:
    from purser.testing.slack import block_actions

    body = block_actions(MAYA, "purser.reply.0", "not json", channel=dm_channel(MAYA), message_ts="1.000001")
    before = maya.written()
    assert maya.post("interactions", body).status_code == 400
    assert maya.written() == before


def test_a_confirmed_card_is_updated_in_place_with_its_outcome(maya: SlackWorld) -> None:
    maya.say(MAYA, "please refund this month's charge")
    [card] = maya.cards(dm_channel(MAYA))
    maya.press(MAYA, card, "Confirm")
    calls = maya.server.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
    [update] = [c for c in calls if c.method == "chat.update"]
    assert (update.body["channel"], update.body["ts"]) == (dm_channel(MAYA), card.response["ts"])
    assert not list(buttons(update))
    shown = json.dumps(update.body["blocks"])
    assert "You confirmed" in shown and "$20.00" in shown and "*Amount*" in shown  # facts kept, outcome added
    stored = maya.server.messages[(dm_channel(MAYA), card.response["ts"])]
    assert not any(b["type"] == "actions" for b in stored["blocks"]) and "edited" not in stored
    # A second press (Slack's retry, an impatient customer) does not rewrite what the card says happened.
    maya.press(MAYA, card, "Cancel")
    assert len(maya.server.updates()) == 1


def test_a_declined_card_says_so(maya: SlackWorld) -> None:
    maya.say(MAYA, "please refund this month's charge")
    [card] = maya.cards(dm_channel(MAYA))
    maya.press(MAYA, card, "Cancel")
    maya.server.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
    [update] = maya.server.updates(dm_channel(MAYA))
    assert "You declined" in json.dumps(update.body["blocks"]) and not list(buttons(update))


def test_a_card_sent_for_approval_says_a_teammate_is_reviewing_it() -> None:
    with slack_world("refund-cap-fixed-approved") as nora:
        nora.link(NORA, "cus_nora")
        nora.say(NORA, "please refund this month's charge")
        [card] = nora.cards(dm_channel(NORA))
        nora.press(NORA, card, "Confirm")
        nora.server.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
        [update] = nora.server.updates(dm_channel(NORA))
        assert "teammate is reviewing" in json.dumps(update.body["blocks"])


# -- the local Slack's chat.update follows Slack's documented rules ------------------------------------
def _post(server: SlackApiServer, **body: object) -> str:
    import httpx

    answer = httpx.post(
        server.api_base + "chat.postMessage", json=body, headers={"Authorization": f"Bearer {server.bot_token}"}
    ).json()
    assert answer["ok"], answer
    return str(answer["ts"])


def _update(server: SlackApiServer, **body: object) -> dict[str, object]:
    import httpx

    return dict(
        httpx.post(
            server.api_base + "chat.update", json=body, headers={"Authorization": f"Bearer {server.bot_token}"}
        ).json()
    )


def test_the_local_chat_update_follows_slacks_rules() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "card"}}]
    with SlackApiServer() as server:
        ts = _post(server, channel="D0ANY", text="card", blocks=blocks)
        assert _update(server, channel="D0ANY", ts=ts) == {"ok": False, "error": "no_text"}
        assert _update(server, channel="D0ANY", ts="9.9", text="x") == {"ok": False, "error": "message_not_found"}
        new = [{"type": "context", "elements": [{"type": "mrkdwn", "text": "done"}]}]
        assert _update(server, channel="D0ANY", ts=ts, text="done", blocks=new)["ok"]
        assert server.messages[("D0ANY", ts)]["blocks"] == new and "edited" not in server.messages[("D0ANY", ts)]
        assert _update(server, channel="D0ANY", ts=ts, text="plain")["ok"]  # text alone removes the blocks
        message = server.messages[("D0ANY", ts)]
        assert "blocks" not in message and message["text"] == "plain" and "edited" in message
        ts2 = _post(server, channel="D0ANY", text="card", blocks=blocks)
        assert _update(server, channel="D0ANY", ts=ts2, text="t", blocks=[])["ok"]
        assert "blocks" not in server.messages[("D0ANY", ts2)]
        server.messages[("D0ANY", "5.000001")] = {"type": "message", "user": "U0SOMEONE", "ts": "5.000001"}
        assert _update(server, channel="D0ANY", ts="5.000001", text="x")["error"] == "cant_update_message"
        assert [c.body["ts"] for c in server.updates()] == [ts, ts, ts2]
