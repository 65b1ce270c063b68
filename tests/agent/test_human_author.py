"""A teammate's reply names the teammate: the name beside it and its avatar's initials (issue 17)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from purser.agent.events import AgentMessage, CustomerMessage, Teammate, agent_event_adapter
from purser.agent.human import initials, teammate
from purser.agent.live import loop_runner
from purser.app import Container
from purser.config import Settings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sam Lee", "SL"),
        ("sam", "S"),
        ("Anne-Marie de la Cruz", "AC"),
        ("sam.lee@example.com", "SL"),
        ("Øyvind Ås", "ØÅ"),
        ("--", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_the_reply_event_carries_the_teammate(make_world: Callable[..., Container]) -> None:
    c = make_world(Settings())
    rt = c.runtime
    cid = rt.start("cus_ana")
    rt.handle(cid, CustomerMessage(text="I want to talk to a human"))
    assert rt.conversation(cid).handed_off
    done = loop_runner().run(rt.ahuman_reply(cid, "Hi Ana, Sam from billing here.", author="  Sam Lee "))
    assert done.event.author == Teammate(name="Sam Lee", initials="SL") == teammate("Sam Lee")
    wire = done.event.model_dump(mode="json")
    assert wire["author"] == {"name": "Sam Lee", "initials": "SL"}
    assert agent_event_adapter.validate_python(wire) == done.event  # a §7 message, read back unchanged
    stored = [e for e in rt.transcript(cid) if e.role == "human"]
    assert AgentMessage.model_validate(stored[-1].event).author == done.event.author


@pytest.mark.parametrize("author", ["slack:U0TEAMMATE", "discord:700000000000000123", "Slack:U1"])
def test_a_platform_user_id_is_never_shown_to_the_customer(author: str) -> None:
    assert teammate(author) == Teammate(name="Teammate", initials="T")
