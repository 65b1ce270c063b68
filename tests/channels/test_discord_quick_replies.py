"""Discord (issue 17): quick replies as message-component buttons; a press (a component interaction)
is the customer's message, answered with the buttons removed (type 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.channels.test_discord import Rig, open_rig

from purser.agent.events import AgentMessage, QuickReply
from purser.channels._discord_render import message_payloads, parse_reply_id, reply_id
from purser.testing._discord_wire import message_problem
from purser.testing.discord import DiscordServer

OWNER = "700000000000000123"


@pytest.fixture
def rig() -> Iterator[Rig]:
    with DiscordServer() as server:
        rig = open_rig(server)
        yield rig
        rig.drain()
        rig.container.close()


def _buttons(call_json: dict[str, object]) -> list[dict[str, object]]:
    rows = call_json.get("components") or []
    assert isinstance(rows, list)
    return [b for row in rows for b in row["components"]]


def _customer_texts(rig: Rig) -> list[str]:
    [conv] = rig.container.runtime.conversations(limit=10)
    return [e.event.get("text", "") for e in rig.container.runtime.transcript(conv.id) if e.role == "customer"]


def test_the_save_offer_has_buttons_and_a_press_is_the_customers_answer(rig: Rig) -> None:
    maya = rig.discord.user("Maya Jensen")
    rig.link(maya)
    rig.post(rig.discord.command(maya, "cancel my subscription"))
    rig.drain()
    offer = next(c for c in rig.discord.calls if _buttons(c.json))
    assert offer.status == 200  # the local Discord accepted the components
    buttons = _buttons(offer.json)
    assert [b["label"] for b in buttons] == ["Pause instead", "Cancel anyway"]
    assert all(b["style"] == 2 and len(str(b["custom_id"])) <= 100 for b in buttons)

    mark = len(rig.discord.calls)
    answer = rig.post(rig.discord.press(maya, offer.response, str(buttons[0]["custom_id"])))
    assert answer.status_code == 200 and answer.json() == {"type": 7, "data": {"components": []}}
    rig.drain()
    assert _customer_texts(rig)[-1] == "Pause my subscription instead"
    card = next(c for c in rig.discord.calls[mark:] if _buttons(c.json))
    assert [b["label"] for b in _buttons(card.json)] == ["Confirm", "Cancel"]  # the pause, quoted


def test_someone_elses_press_is_refused_and_changes_nothing(rig: Rig) -> None:
    maya, other = rig.discord.user("Maya Jensen"), rig.discord.user("Someone Else")
    rig.link(maya)
    rig.post(rig.discord.command(maya, "cancel my subscription"))
    rig.drain()
    offer = next(c for c in rig.discord.calls if _buttons(c.json))
    answer = rig.post(rig.discord.press(other, offer.response, str(_buttons(offer.json)[1]["custom_id"])))
    assert answer.status_code == 200 and answer.json()["type"] == 4 and answer.json()["data"]["flags"] == 64
    rig.drain()
    assert "Cancel anyway" not in _customer_texts(rig)


def test_ten_replies_are_two_rows_and_a_reply_too_long_for_a_custom_id_is_written_out() -> None:
    replies = [QuickReply(label=f"Option {n}", text=f"option {n}") for n in range(10)]
    [payload] = message_payloads(AgentMessage(text="Which one?", quick_replies=replies), owner=OWNER, ephemeral=False)
    assert message_problem(payload, bot=False) is None
    assert [len(row["components"]) for row in payload["components"]] == [5, 5]
    long = [QuickReply(label="Long", text="x" * 90), QuickReply(label="Short", text="y")]
    [written] = message_payloads(AgentMessage(text="Which one?", quick_replies=long), owner=OWNER, ephemeral=True)
    assert "components" not in written and written["flags"] == 64
    assert written["content"].endswith(f"Answer with /billing and one of: “{'x' * 90}”; “y”")


def test_reply_ids_round_trip_and_foreign_ids_are_not_replies() -> None:
    value = reply_id(OWNER, "Cancel anyway: yes")
    assert value is not None and parse_reply_id(value) is not None
    assert parse_reply_id(value).text == "Cancel anyway: yes"  # type: ignore[union-attr]
    assert parse_reply_id(f"purser:yes:act_1:{OWNER}:refund") is None
    assert parse_reply_id("purser:reply:notanid:text") is None
    assert parse_reply_id(f"purser:reply:{OWNER}:  ") is None
