"""Withdrawing a scheduled cancellation is a `resume` request; asking about it or cancelling is not."""

from __future__ import annotations

import pytest

from purser.models.offline.understand import understand

WITHDRAW = [
    "please undo my cancellation",
    "we decided to stay after all",
    "changed our minds, we want to keep the subscription",
    "stop the cancellation please, we're keeping it",
    "keep my plan running, don't cancel it after all",
    "un-cancel my account",
    "can you reinstate my subscription before it runs out",
    "retract the cancellation I sent on Monday",
]

NOT_WITHDRAW = [
    ("cancel my subscription", "cancel"),
    ("I want to cancel at the end of the month", "cancel"),
    ("what is the cancellation policy", "policy_question"),
]


@pytest.mark.parametrize("text", WITHDRAW)
def test_withdrawing_a_cancellation_is_resume(text: str) -> None:
    assert [r.intent for r in understand(text)] == ["resume"], text


@pytest.mark.parametrize(("text", "intent"), NOT_WITHDRAW)
def test_cancelling_and_asking_stay_what_they_are(text: str, intent: str) -> None:
    assert [r.intent for r in understand(text)] == [intent], text
