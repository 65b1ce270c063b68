"""A complaint asking to put it right is a refund request; an explanation request is not."""

from __future__ import annotations

import pytest

from purser.models.offline.understand import understand


@pytest.mark.parametrize(
    "text",
    [
        "you took the payment twice on the 3rd, fix it",
        "why did you charge me two times?? sort this out please",
        "double charge again this month. I want my money back",
        "this charge is a mistake, please correct it",
    ],
)
def test_complaint_with_a_remedy_asks_for_a_refund(text: str) -> None:
    assert "refund" in [r.intent for r in understand(text)], text


@pytest.mark.parametrize("text", ["what is this charge from march?", "why was I charged 29 dollars on the 5th"])
def test_a_question_about_a_charge_is_only_a_question(text: str) -> None:
    assert "refund" not in [r.intent for r in understand(text)], text
