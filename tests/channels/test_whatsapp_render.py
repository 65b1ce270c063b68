"""WhatsApp message bodies: markup, reply buttons vs list messages, limits, button ids, templates.

Every body is checked by the local Graph API's rules (`purser.testing._whatsapp_rules`), the
same checks the server applies to what Purser posts.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.agent.events import ActionResult, AgentMessage, ConfirmationRequest
from purser.channels._whatsapp_render import (
    Choice,
    batch_messages,
    choice_id,
    choices_message,
    confirmation_message,
    parse_choice,
    template_message,
    text_messages,
    whatsapp_text,
)
from purser.money import Money
from purser.testing._whatsapp_rules import GraphError, check_message

TO = "15550001111"
TEMPLATES = ("purser_update",)


def test_markdown_becomes_whatsapp_markup() -> None:
    assert whatsapp_text("**Pro** plan") == "*Pro* plan"
    assert whatsapp_text("## Your invoices\nSee [the portal](https://example.com/p).") == (
        "*Your invoices*\nSee the portal: https://example.com/p."
    )
    assert whatsapp_text("_italic_ stays") == "_italic_ stays"


def test_two_short_choices_are_reply_buttons() -> None:
    body = choices_message(TO, "Pick one", [Choice("purser:yes:a:1", "Confirm"), Choice("purser:no:a:1", "Cancel")])
    check_message(body, templates=TEMPLATES)
    assert body["interactive"]["type"] == "button"


def test_more_than_three_choices_or_long_titles_become_a_list() -> None:
    four = [Choice(f"id{i}", f"Option {i}") for i in range(4)]
    listed = choices_message(TO, "Pick one", four)
    check_message(listed, templates=TEMPLATES)
    assert listed["interactive"]["type"] == "list"
    assert len(listed["interactive"]["action"]["sections"][0]["rows"]) == 4

    long = [Choice("a", "Switch to the yearly plan now"), Choice("b", "Keep monthly")]
    listed = choices_message(TO, "Pick one", long)
    check_message(listed, templates=TEMPLATES)
    first = listed["interactive"]["action"]["sections"][0]["rows"][0]
    assert listed["interactive"]["type"] == "list"
    assert len(first["title"]) <= 24 and first["description"] == "Switch to the yearly plan now"


def test_a_list_holds_at_most_ten_rows() -> None:
    with pytest.raises(ValueError, match="1 to 10 choices"):
        choices_message(TO, "Pick one", [Choice(f"id{i}", f"Option {i}") for i in range(11)])
    with pytest.raises(ValueError, match="1 to 10 choices"):
        choices_message(TO, "Pick one", [])


def test_the_local_server_refuses_what_whatsapp_refuses() -> None:
    too_many = choices_message(TO, "Pick", [Choice("a", "A"), Choice("b", "B")])
    too_many["interactive"]["action"]["buttons"] *= 2
    with pytest.raises(GraphError) as caught:
        check_message(too_many, templates=TEMPLATES)
    assert caught.value.code == 100


def test_long_texts_are_split_under_the_limit_at_word_boundaries() -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    messages = text_messages(TO, text)
    assert len(messages) > 1
    bodies = [m["text"]["body"] for m in messages]
    assert all(len(b) <= 4096 for b in bodies)
    assert " ".join(bodies).split() == text.split()
    for message in messages:
        check_message(message, templates=TEMPLATES)


def test_a_template_parameter_is_one_line_and_accepted() -> None:
    message = template_message(TO, "Line one\n\n\tLine     two", template="purser_update", language="en_US")
    check_message(message, templates=TEMPLATES)
    assert message["template"]["components"][0]["parameters"][0]["text"] == "Line one Line two"


@given(
    decision=st.sampled_from(["yes", "no"]),
    action=st.from_regex(r"[a-z_]{1,30}", fullmatch=True),
    action_id=st.text(min_size=1, max_size=200).filter(lambda s: s.strip() == s and s != ""),
)
def test_a_button_id_carries_decision_action_and_action_id(decision: str, action: str, action_id: str) -> None:
    parsed = parse_choice(choice_id("yes" if decision == "yes" else "no", action, action_id))
    assert parsed is not None
    assert (parsed.decision, parsed.action, parsed.action_id) == (decision, action, action_id)


@pytest.mark.parametrize("value", ["", "yes", "purser:maybe:refund:act_1", "other:yes:refund:act_1", "purser:yes::x"])
def test_ids_that_are_not_purser_buttons_are_not_choices(value: str) -> None:
    assert parse_choice(value) is None


@given(
    minor=st.integers(min_value=0, max_value=10**10),
    currency=st.sampled_from(["usd", "eur", "gbp", "jpy"]),
)
def test_a_confirmation_card_shows_the_exact_amount_and_fits(minor: int, currency: str) -> None:
    amount = Money(minor, currency)
    event = ConfirmationRequest(
        action_id="act_0123456789abcdef",
        action="refund",
        summary=f"Refund {amount.format()} of your last charge",
        quote={"amount": amount.amount_str(), "currency": currency, "charge_id": "ch_secret"},
    )
    message = confirmation_message(TO, event)
    check_message(message, templates=TEMPLATES)
    body = message["interactive"]["body"]["text"]
    assert f"Amount: {amount.format()}" in body
    assert "ch_secret" not in body and "act_0123456789abcdef" not in body


CARD = ConfirmationRequest(
    action_id="act_1",
    action="refund",
    summary="Refund $20.00 of the $20.00 charge of 1 November 2026.",
    quote={"amount": "20.00", "currency": "usd", "charge": "ch_1"},
)


def test_the_message_introducing_a_card_becomes_its_text() -> None:
    intro = AgentMessage(text=f"{CARD.summary}\n\nPlease confirm with the button below.")
    [(event, index, card)] = batch_messages(TO, [intro, CARD])
    assert (event, index) == (CARD, 0)
    assert card["interactive"]["body"]["text"] == (
        "Refund $20.00 of the $20.00 charge of 1 November 2026.\n\nPlease confirm with the button below.\n\n"
        "Amount: $20.00"
    )


def test_a_message_about_something_else_stays_its_own_bubble() -> None:
    other = AgentMessage(text="You have two charges this month.")
    messages = batch_messages(TO, [other, CARD])
    assert [m["type"] for _, _, m in messages] == ["text", "interactive"]
    assert messages[1][2]["interactive"]["body"]["text"].startswith(f"*{CARD.summary}*\nAmount: $20.00")


def test_a_result_repeated_by_the_agent_is_said_once() -> None:
    result = ActionResult(action_id="act_1", status="succeeded", summary="Refunded $20.00.")
    messages = batch_messages(TO, [result, AgentMessage(text="Refunded $20.00."), AgentMessage(text="Anything else?")])
    assert [m["text"]["body"] for _, _, m in messages] == ["Refunded $20.00.", "Anything else?"]
