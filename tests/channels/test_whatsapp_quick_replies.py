"""WhatsApp (issue 17): quick replies as interactive reply buttons (≤ 3, titles ≤ 20) or a list (more,
or longer titles), whose `button_reply` / `list_reply` comes back as the customer's message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.channels.test_whatsapp import MAYA, STRANGER, Rig, rig_for

from purser.agent.events import AgentMessage, QuickReply
from purser.channels._whatsapp_render import batch_messages, parse_reply, reply_choice_id, reply_message
from purser.testing._whatsapp_rules import check_message


@pytest.fixture
def maya(tmp_path: Path) -> Iterator[Rig]:
    """Maya (Pro, $20.00 a month), linked; the policy offers a pause before a cancellation."""
    for rig in rig_for("refund-this-month-forgot-to-cancel", tmp_path):
        rig.link(MAYA, "cus_maya")
        yield rig


def _customer_texts(rig: Rig) -> list[str]:
    convs = rig.container.runtime.conversations(limit=10)
    entries = rig.container.runtime.transcript(convs[0].id)
    return [e.event.get("text", "") for e in entries if e.role == "customer"]


def test_the_save_offer_is_two_reply_buttons_and_a_tap_is_the_customers_answer(maya: Rig) -> None:
    maya.post(maya.server.text_webhook(MAYA, "cancel my subscription"))
    [offer] = maya.cards()
    assert offer["type"] == "button" and "pause" in offer["body"]["text"]
    titles = [b["reply"]["title"] for b in offer["action"]["buttons"]]
    assert titles == ["Pause instead", "Cancel anyway"]
    button = offer["action"]["buttons"][0]["reply"]
    assert maya.post(maya.server.reply_webhook(MAYA, button["id"], button["title"])) == 200
    assert _customer_texts(maya)[-1] == "Pause my subscription instead"
    card = maya.cards()[-1]
    assert [b["reply"]["title"] for b in card["action"]["buttons"]] == ["Confirm", "Cancel"]  # the pause quoted


def test_a_quick_reply_from_another_number_is_that_numbers_own_message(maya: Rig) -> None:
    maya.post(maya.server.text_webhook(MAYA, "cancel my subscription"))
    button = maya.cards()[0]["action"]["buttons"][1]["reply"]
    before = len(maya.sent())
    maya.post(maya.server.reply_webhook(STRANGER, button["id"], button["title"]))
    assert len(maya.sent()) == before  # nothing said or done in Maya's conversation
    assert all("Cancel anyway" not in t for t in _customer_texts(maya))


OPTIONS = [f"$20.00 on {day} October 2026 (invoice MAYA-000{n})" for n, day in enumerate((1, 8, 15, 22), 1)]


def test_more_choices_or_longer_titles_are_a_list_whose_row_reply_comes_back() -> None:
    event = AgentMessage(
        text="Which one would you like refunded?", quick_replies=[QuickReply(label=o, text=o) for o in OPTIONS]
    )
    [message] = reply_message(MAYA, event)
    check_message(message, templates=())  # WhatsApp's limits: row titles ≤ 24, descriptions ≤ 72, ids ≤ 200
    interactive = message["interactive"]
    assert interactive["type"] == "list" and interactive["body"]["text"] == event.text
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["description"] for r in rows] == OPTIONS and all(len(r["title"]) <= 24 for r in rows)
    assert [parse_reply(r["id"]) for r in rows] == OPTIONS


def test_a_list_row_tap_arrives_as_the_customers_message(maya: Rig) -> None:
    maya.post(maya.server.reply_webhook(MAYA, reply_choice_id(OPTIONS[1]), "$20.00 on 8 October", list_reply=True))
    assert _customer_texts(maya) == [OPTIONS[1]]


def test_choices_whose_ids_do_not_fit_are_written_out() -> None:
    long = "x" * 195  # fits a reply button's id (256) but not a list row's (200)
    replies = [QuickReply(label=f"option {n}", text=long if n == 0 else f"o{n}") for n in range(4)]
    [message] = reply_message(MAYA, AgentMessage(text="Which one?", quick_replies=replies))
    assert message["type"] == "text"
    assert message["text"]["body"] == f"Which one?\n\nReply with one of: “{long}”; “o1”; “o2”; “o3”"
    [buttons] = reply_message(MAYA, AgentMessage(text="Which one?", quick_replies=replies[:2]))
    assert buttons["interactive"]["type"] == "button"


def test_a_message_with_quick_replies_is_not_folded_into_a_following_card() -> None:
    from purser.agent.events import ConfirmationRequest

    event = AgentMessage(text="Please confirm.", quick_replies=[QuickReply(label="Other plans", text="Other plans?")])
    card = ConfirmationRequest(action_id="act_1", action="refund", summary="Refund $20.00.", quote={})
    kinds = [payload["interactive"]["type"] for _e, _i, payload in batch_messages(MAYA, [event, card])]
    assert kinds == ["button", "button"]  # the replies, then the card: both kept


def test_a_foreign_or_empty_reply_id_is_not_a_quick_reply() -> None:
    assert parse_reply("purser:yes:refund:act_1") is None
    assert parse_reply("purser:reply:   ") is None
    assert parse_reply("other:reply:x") is None
