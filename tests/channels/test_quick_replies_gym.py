"""Gym trials through each channel's local server see the same quick replies the runtime gives (issue 17):
the save offer's buttons are read back from Slack, WhatsApp and Discord as the §7 `quick_replies`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from purser.gym.loader import load_file
from purser.gym.runner import RunOptions, run_trial

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"


def _offered(events: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    return [
        [(r["label"], r["text"]) for r in e["quick_replies"]]
        for e in events
        if e["type"] == "message" and e.get("quick_replies")
    ]


@pytest.mark.parametrize("channel", ["slack", "whatsapp", "discord"])
def test_the_save_offer_reads_back_with_its_quick_replies(channel: str) -> None:
    loaded = load_file(SCENARIOS / "cancel-accepts-pause-instead.yaml")
    direct = run_trial(loaded, RunOptions())
    through = run_trial(loaded, RunOptions(channel=channel))
    assert direct.passed, direct.failures
    assert through.passed, through.failures
    assert _offered(direct.events) == [
        [("Pause instead", "Pause my subscription instead"), ("Cancel anyway", "Cancel anyway")]
    ]
    assert _offered(through.events) == _offered(direct.events)
