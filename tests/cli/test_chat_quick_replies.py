"""`purser chat` in a terminal (issue 17): quick replies as numbered choices, and no "button below"."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.conftest import chat, state

from purser.channels.render import without_button_talk


def test_the_save_offer_is_numbered_choices_and_a_number_sends_the_choice(demo_config: Path) -> None:
    out = chat(demo_config, "cus_dana", "cancel my subscription", "1", "yes")
    assert "1. Pause instead" in out and "2. Cancel anyway" in out
    assert "you chose: Pause my subscription instead" in out
    assert "button" not in out.lower()  # a terminal has no button: "Type yes to confirm"
    assert "Type yes to confirm" in out
    sub = state(demo_config, "cus_dana").subscription
    assert sub is not None and sub.pause_starts_at is not None  # "yes" (not only "y") confirmed it


def test_candidate_charges_are_numbered(demo_config: Path) -> None:
    out = chat(demo_config, "cus_dana", "please refund a charge", "2", "no")
    assert "1. $10.00 on" in out and "2. $10.00 on" in out
    assert "you chose: $10.00 on" in out


def test_a_number_without_choices_is_a_message_and_an_unclear_answer_is_asked_again(demo_config: Path) -> None:
    out = chat(demo_config, "cus_north", "5", "we hired two people, please add 2 seats", "maybe", "no")
    assert "you chose" not in out
    assert "Please type yes or no." in out
    assert "haven't made that change" in out  # "no" declined it


@pytest.mark.parametrize(
    "text",
    [
        "Please confirm with the button below if you'd like me to go ahead.",
        "Bitte bestätigen Sie mit der Schaltfläche unten, wenn ich fortfahren soll.",
        "Merci de confirmer avec le bouton ci-dessous si vous souhaitez que je continue.",
        "Confirme con el botón de abajo si quiere que continúe.",
        "Confirme no botão abaixo se quiser que eu continue.",
    ],
)
def test_button_talk_in_every_language_is_replaced(text: str) -> None:
    assert without_button_talk(f"Found it. {text} Thanks!", "Type yes to confirm.") == (
        "Found it. Type yes to confirm. Thanks!"
    )
    assert without_button_talk(text, "") == ""
