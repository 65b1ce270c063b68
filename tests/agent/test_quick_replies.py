"""Quick replies are structured data from the server (issue 17): the save offer, a "which one?" list."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from purser.actions.outcome import Outcome
from purser.agent.events import (
    AgentEvent,
    AgentMessage,
    ConfirmationRequest,
    CustomerConfirm,
    CustomerMessage,
    QuickReply,
)
from purser.agent.outcomes import one_reply, outcome_events, quick_replies, save_offer_replies
from purser.app import Container, build_for_world
from purser.config import Settings
from purser.domain import CustomerId, SubscriptionStatus
from purser.worlds.seed import demo_world

OFFER = (
    "Before cancelling: you can pause instead for up to 3 month(s) — you keep access until 1 December 2026 "
    "and pay nothing during the pause. Would you like to pause, or still cancel?"
)
LIST = (
    "I found 2 charges that could match:\n- $20.00 on 1 November 2026 (invoice ANA-0003)\n"
    "- $20.00 on 1 October 2026 (invoice ANA-0002)\n\nWhich one would you like refunded?"
)


def _save_offer() -> Outcome:
    return Outcome(action="cancel", action_id="act_1", status="refused", reason="save_offer", summary=OFFER)


def _replies(events: list[AgentEvent]) -> list[tuple[int, list[str]]]:
    return [(i, [r.label for r in e.quick_replies]) for i, e in enumerate(events) if isinstance(e, AgentMessage)]


def test_the_save_offer_carries_pause_instead_and_cancel_anyway() -> None:
    events = one_reply(outcome_events(_save_offer(), "write"), None, [], None)
    assert _replies(events) == [(0, ["Pause instead", "Cancel anyway"])]
    assert events[0].model_dump(mode="json")["quick_replies"][0] == {
        "label": "Pause instead",
        "text": "Pause my subscription instead",
    }


@pytest.mark.parametrize(
    ("language", "pause", "cancel"),
    [
        ("de", "Lieber pausieren", "Trotzdem kündigen"),
        ("fr", "Mettre en pause", "Résilier quand même"),
        ("es", "Mejor pausar", "Cancelar igualmente"),
        ("pt", "Prefiro pausar", "Cancelar mesmo assim"),
        ("xx", "Pause instead", "Cancel anyway"),
    ],
)
def test_save_offer_labels_follow_the_customer_language(language: str, pause: str, cancel: str) -> None:
    events = one_reply(outcome_events(_save_offer(), "write"), None, [], None, language=language)
    assert _replies(events) == [(0, [pause, cancel])]
    assert all(len(r.label) <= 20 for r in save_offer_replies(language))  # a WhatsApp reply button's limit


def test_the_language_is_read_from_the_reply_when_not_given() -> None:
    message = AgentMessage(text="Möchten Sie Ihr Abo lieber pausieren oder trotzdem kündigen? Bitte sagen Sie es mir.")
    events = one_reply(outcome_events(_save_offer(), "write"), message, [], None)
    assert _replies(events)[-1][1] == ["Lieber pausieren", "Trotzdem kündigen"]
    assert [labels for _, labels in _replies(events)[:-1]] == [[]]  # on the last message only


def test_a_which_question_after_a_list_offers_each_option() -> None:
    events = one_reply([], AgentMessage(text=LIST), [], None)
    (message,) = events
    assert isinstance(message, AgentMessage)
    assert [r.text for r in message.quick_replies] == [
        "$20.00 on 1 November 2026 (invoice ANA-0003)",
        "$20.00 on 1 October 2026 (invoice ANA-0002)",
    ]
    assert quick_replies(LIST.replace("Which one", "Welche")) != []
    assert quick_replies(LIST.replace("Which one would you like refunded?", "Laquelle faut-il rembourser ?")) != []


@pytest.mark.parametrize(
    "text",
    [
        "Your plan includes:\n- 5 seats\n- priority support\n\nAnything else I can help with?",  # no which-question
        "Which one would you like refunded?\n- $20.00 on 1 November 2026\n- $20.00 on 1 October 2026",  # asked first
        "I found one charge:\n- $20.00 on 1 November 2026\n\nWhich one would you like refunded?",  # no choice
        "Here you go.",
    ],
)
def test_no_quick_replies_without_a_choice(text: str) -> None:
    assert quick_replies(text) == []
    assert "quick_replies" not in one_reply([], AgentMessage(text=text), [], None)[0].model_dump(mode="json")


def test_at_most_ten_options_and_long_options_are_shortened_on_the_label_only() -> None:
    long = "x" * 150
    text = "\n".join(f"- {long} {i}" for i in range(12)) + "\nWhich one?"
    assert quick_replies(text) == []  # more than fits a list: no buttons rather than a cut-off choice
    replies = quick_replies(f"- {long} a\n- b\nWhich one?")
    assert replies[0] == QuickReply(label="x" * 79 + "…", text=f"{long} a")


def test_pressing_pause_instead_on_the_save_offer_pauses(make_world: Callable[..., Container]) -> None:
    c = make_world(Settings())
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="cancel my subscription"))
    offered = [r for e in events if isinstance(e, AgentMessage) for r in e.quick_replies]
    assert [r.label for r in offered] == ["Pause instead", "Cancel anyway"]
    events = rt.handle(cid, CustomerMessage(text=offered[0].text))  # what a press sends
    (ask,) = [e for e in events if e.type == "confirmation_request"]
    assert ask.action == "pause"
    rt.handle(cid, CustomerConfirm(action_id=ask.action_id, decision="yes"))
    sub = c.processor.snapshot(CustomerId("cus_ana")).subscription
    assert sub is not None and sub.pause_starts_at is not None


def test_pressing_cancel_anyway_on_the_save_offer_cancels(make_world: Callable[..., Container]) -> None:
    c = make_world(Settings())
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="cancel my subscription"))
    offered = [r for e in events if isinstance(e, AgentMessage) for r in e.quick_replies]
    events = rt.handle(cid, CustomerMessage(text=offered[1].text))
    (ask,) = [e for e in events if e.type == "confirmation_request"]
    assert ask.action == "cancel"
    rt.handle(cid, CustomerConfirm(action_id=ask.action_id, decision="yes"))
    sub = c.processor.snapshot(CustomerId("cus_ana")).subscription
    assert sub is not None and sub.cancel_at_period_end and sub.status is SubscriptionStatus.ACTIVE


def _candidates(c: Container) -> tuple[str, list[str]]:
    rt = c.runtime
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="please refund a charge"))
    offered = [r.text for e in events if isinstance(e, AgentMessage) for r in e.quick_replies]
    return cid, offered


INVOICE_DAYS = {"ANA-0003": "2026-11-01", "ANA-0002": "2026-10-01", "ANA-0001": "2026-09-01"}
"""The demo world's Ana: three monthly invoices, the November one charged twice."""


@pytest.fixture
def demo() -> Iterator[Callable[[], Container]]:
    """Throw-away containers on the demo world (Ana's three invoices, one charged twice)."""
    built: list[Container] = []

    def make() -> Container:
        world, now = demo_world()
        built.append(build_for_world(world, now, settings=Settings()))
        return built[-1]

    yield make
    for container in built:
        container.close()


def test_pressing_each_candidate_charge_quotes_a_refund_of_that_charge(demo: Callable[[], Container]) -> None:
    """The model reads back the option line it listed as the answer to its own "which one?"."""
    _, offered = _candidates(demo())
    assert [next(n for n in INVOICE_DAYS if n in o) for o in offered] == list(INVOICE_DAYS)
    assert "charged twice" in offered[0]  # the duplicate pair is one option, not two identical lines
    for text in offered:
        c = demo()
        cid, again = _candidates(c)
        assert again == offered
        events = c.runtime.handle(cid, CustomerMessage(text=text))  # what a press sends
        (ask,) = [e for e in events if isinstance(e, ConfirmationRequest)]
        assert ask.action == "refund", (text, events)
        day = INVOICE_DAYS[next(n for n in INVOICE_DAYS if n in text)]
        assert ask.quote["charge_created"].startswith(day), (text, ask.quote)


@pytest.mark.parametrize("answer", ["ANA-0002", "invoice ana-0002", "1 October 2026 (invoice ANA-0002)"])
def test_part_of_one_option_picks_it(demo: Callable[[], Container], answer: str) -> None:
    c = demo()
    cid, _ = _candidates(c)
    events = c.runtime.handle(cid, CustomerMessage(text=answer))
    (ask,) = [e for e in events if isinstance(e, ConfirmationRequest)]
    assert ask.action == "refund" and ask.quote["charge_created"].startswith("2026-10-01")


def test_text_shared_by_every_option_picks_none(demo: Callable[[], Container]) -> None:
    c = demo()
    cid, _ = _candidates(c)
    events = c.runtime.handle(cid, CustomerMessage(text="$20.00"))
    assert not [e for e in events if isinstance(e, ConfirmationRequest)]
