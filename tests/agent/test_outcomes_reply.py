"""One reply per turn that says each thing once; information is a message; quotes in human terms (issue 17)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from purser.actions.outcome import Outcome
from purser.agent.events import ActionResult, AgentEvent, AgentMessage, ConfirmationRequest, Handoff
from purser.agent.outcomes import customer_quote, one_reply, outcome_events
from purser.channels.render import quote_facts


def _texts(events: list[AgentEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, AgentMessage)]


def test_a_result_is_not_repeated_as_a_message() -> None:
    said = "Refunded $20.00; it usually reaches the card in 5-10 days."
    result = ActionResult(action_id="act_1", status="succeeded", summary=said)
    events = one_reply([result], AgentMessage(text=said), [], None)
    assert events == [result]


def test_only_the_repeated_sentence_is_dropped() -> None:
    result = ActionResult(action_id="act_1", status="failed", summary="It did not go through: the card was declined.")
    message = AgentMessage(
        text="It did not go through: the card was declined. I can send you a secure link to update your card."
    )
    events = one_reply([result], message, [], None)
    assert _texts(events) == ["I can send you a secure link to update your card."]


def test_a_sentence_said_twice_in_the_message_is_said_once() -> None:
    message = AgentMessage(text="Okay, nothing was changed. (Okay, nothing was changed.)")
    assert _texts(one_reply([], message, [], None)) == ["Okay, nothing was changed."]


def test_the_confirmation_summary_is_not_repeated_above_the_card() -> None:
    summary = "Refund $20.00 of the $20.00 charge of 5 November 2026."
    ask = ConfirmationRequest(action_id="act_2", action="refund", summary=summary, quote={})
    message = AgentMessage(text=summary + "\n\nPlease confirm with the button below.")
    events = one_reply([], message, [ask], None)
    assert _texts(events) == ["Please confirm with the button below."] and events[-1] == ask


def test_the_handoff_is_announced_once() -> None:
    handoff = Handoff(reason="dispute", summary="for the team")
    message = AgentMessage(
        text="I've passed this to a teammate, who will reply here. "
        "I've passed this to a teammate, who will follow up here."
    )
    events = one_reply([], message, [], handoff)
    assert _texts(events) == [] and events == [handoff]


def test_a_message_that_says_something_new_is_kept_whole() -> None:
    said = "Canceled: your subscription ends on 5 December 2026."
    result = ActionResult(action_id="act_1", status="succeeded", summary=said)
    message = AgentMessage(text="Sorry to see you go. You can come back any time.")
    assert _texts(one_reply([result], message, [], None)) == [message.text]


@pytest.mark.parametrize(
    ("action", "reason", "summary"),
    [
        ("cancel", "save_offer", "Before cancelling: you can pause for up to 3 months. Would you like to pause?"),
        ("cancel", "already_canceled", "The subscription already ends on 5 December 2026."),
        ("change_plan", "no_change", "You are already on Business with 1 seat(s)."),
        ("pause", "already_paused", "The subscription is already paused."),
        ("refund", "already_refunded", "The $20.00 charge of 5 October 2026 has already been refunded in full."),
    ],
)
def test_information_is_a_message_not_a_refusal(action: str, reason: str, summary: str) -> None:
    outcome = Outcome("act_3", action, "refused", summary, reason=reason)
    (event,) = outcome_events(outcome, "write")
    assert isinstance(event, AgentMessage) and event.text == summary
    assert bool(event.quick_replies) is (reason == "save_offer")  # the offer's answers are buttons


def test_a_real_refusal_stays_a_refused_result() -> None:
    outcome = Outcome("act_4", "refund", "refused", "That charge is older than 30 days.", reason="window")
    refused = ActionResult(action_id="act_4", status="refused", summary=outcome.summary)
    assert outcome_events(outcome, "write") == [refused]


def test_information_then_the_same_words_from_the_model_are_one_message() -> None:
    said = "The subscription already ends on 5 December 2026."
    info = outcome_events(Outcome("act_3", "cancel", "refused", said, reason="already_canceled"), "write")
    events = one_reply(info, AgentMessage(text=said), [], None)
    assert _texts(events) == ["The subscription already ends on 5 December 2026."]


INTERNAL = ("ch_", "in_", "sub_", "pm_", "-monthly", "now_prorated", "period_end", "true", "false")

REFUND = {
    "charge": "ch_ana_10",
    "charge_amount": "20.00",
    "charge_created": "2026-11-01T00:00:05Z",
    "amount": "20.00",
    "currency": "usd",
    "full": True,
    "duplicate": False,
}
TEAM = {"id": "team-monthly", "name": "Team", "amount": "12.00", "currency": "usd", "interval": "month"}
SEATS = {
    "from_plan": TEAM,
    "to_plan": TEAM,
    "from_quantity": 3,
    "to_quantity": 5,
    "timing": "now_prorated",
    "effective_at": "2026-11-16T00:00:00Z",
    "proration_date": "2026-11-16T00:00:00Z",
    "lines": [
        {"description": "Remaining time on 5 × Team", "amount": "40.00"},
        {"description": "Unused time on 3 × Team", "amount": "-16.80"},
    ],
    "amount_due_now": "27.84",
    "credit": "0.00",
    "next_invoice_amount": "72.00",
    "currency": "usd",
}
CANCEL = {"effective": "period_end", "effective_at": "2026-12-05T00:00:00Z", "plan": "pro-monthly", "refund": "0.00"}
RETRY = {"invoice": "in_acme_11", "number": "AC-0011", "amount": "60.00", "currency": "usd", "card": "visa ending 4242"}


@pytest.mark.parametrize("quote", [REFUND, SEATS, CANCEL, RETRY], ids=["refund", "seats", "cancel", "retry"])
def test_a_card_carries_no_internal_value(quote: dict[str, Any]) -> None:
    safe = customer_quote(quote)
    values = json.dumps(list(_leaves(safe)))
    assert not [word for word in INTERNAL if word in values], safe
    facts = " ".join(f"{label} {value}" for label, value in quote_facts(safe))
    assert not [word for word in INTERNAL if word in facts], facts


def _leaves(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "currency":
                yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield str(value).lower()


def test_a_seat_change_shows_seats_and_lines_that_add_up_to_what_is_due() -> None:
    safe = customer_quote(SEATS)
    facts = dict(quote_facts(safe))
    assert facts["Seats"] == "3 → 5" and "Plan" not in facts
    assert "From plan" not in json.dumps(safe) and "from_plan" not in safe
    # $40.00 − $16.80 = $23.20 before tax; the $4.64 of tax makes the $27.84 due now.
    assert facts["Tax"] == "$4.64" and facts["Due now"] == "$27.84"


def test_amounts_are_shown_with_their_currency() -> None:
    facts = quote_facts(customer_quote(REFUND))
    assert ("Amount", "$20.00") in facts and ("Charged on", "1 November 2026") in facts
    assert all(not value.replace(".", "").isdigit() for _, value in facts)


def test_a_cancellation_card_shows_the_date_and_not_a_zero_refund() -> None:
    facts = quote_facts(customer_quote(CANCEL))
    assert facts == [("Takes effect", "5 December 2026")]
