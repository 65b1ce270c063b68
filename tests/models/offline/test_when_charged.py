""" "When do I get charged?" is a read of the account (the next or first bill), not a policy question;
a bare "how much?" with a plan change is that change's price, which its confirmation quotes."""

from __future__ import annotations

import pytest

from purser.models.offline.intents import Intent
from purser.models.offline.understand import understand


@pytest.mark.parametrize(
    "text",
    [
        "When do I actually get charged?",
        "when will we be billed?",
        "I'm still on the trial. When do you take the money, and how much?",
        "when does my card get charged",
    ],
)
def test_when_am_i_charged_reads_the_account(text: str) -> None:
    assert [r.intent for r in understand(text)] == [Intent.ACCOUNT_QUESTION]


@pytest.mark.parametrize(
    "text",
    [
        "if I upgrade, when do I get charged?",
        "when do I get charged after a refund?",
    ],
)
def test_when_am_i_charged_after_a_change_is_not_the_next_bill(text: str) -> None:
    assert Intent.ACCOUNT_QUESTION not in {r.intent for r in understand(text)}


def test_a_bare_price_question_with_a_plan_change_is_that_change() -> None:
    assert [r.intent for r in understand("I want to switch from Basic to Pro. How much would that be now?")] == [
        Intent.CHANGE_PLAN
    ]


def test_a_price_question_naming_another_plan_stays_a_question() -> None:
    intents = [r.intent for r in understand("Switch me to Pro. And what would Business cost?")]
    assert intents[0] == Intent.CHANGE_PLAN and len(intents) == 2  # the Business price is asked on its own
