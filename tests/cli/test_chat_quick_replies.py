"""`purser chat` in a terminal (issue 17): quick replies as numbered choices, and no "button below"."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from purser.channels.render import without_button_talk
from purser.cli import app
from purser.config import load_settings
from purser.domain import CustomerId
from purser.processors.sandbox import SandboxProcessor
from purser.store.db import Database


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A purser.yaml on a fresh SQLite file holding the demo world, with the offline model."""
    path = tmp_path / "purser.yaml"
    path.write_text(yaml.safe_dump({"database_url": f"sqlite:///{tmp_path / 'purser.db'}", "model": "offline"}))
    seeded = CliRunner().invoke(app, ["sandbox", "seed", "--config", str(path)])
    assert seeded.exit_code == 0, seeded.output
    return path


def chat(config: Path, customer: str, *lines: str) -> str:
    result = CliRunner().invoke(
        app, ["chat", "--customer", customer, "--config", str(config)], input="\n".join([*lines, "exit"]) + "\n"
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_save_offer_is_numbered_choices_and_a_number_sends_the_choice(config: Path) -> None:
    out = chat(config, "cus_dana", "cancel my subscription", "1", "yes")
    assert "1. Pause instead" in out and "2. Cancel anyway" in out
    assert "you chose: Pause my subscription instead" in out
    assert "button" not in out.lower()  # a terminal has no button: "Type yes to confirm"
    assert "Type yes to confirm" in out
    db = Database(load_settings(config).database_url)
    try:
        sub = SandboxProcessor(db).snapshot(CustomerId("cus_dana")).subscription
    finally:
        db.dispose()
    assert sub is not None and sub.pause_starts_at is not None  # "yes" (not only "y") confirmed it


def test_candidate_charges_are_numbered(config: Path) -> None:
    out = chat(config, "cus_dana", "please refund a charge", "2", "no")
    assert "1. $10.00 on" in out and "2. $10.00 on" in out
    assert "you chose: $10.00 on" in out


def test_a_number_without_choices_is_a_message_and_an_unclear_answer_is_asked_again(config: Path) -> None:
    out = chat(config, "cus_north", "5", "we hired two people, please add 2 seats", "maybe", "no")
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
