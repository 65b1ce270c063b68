"""`purser eval --channel discord`: the gym's conversations through signed interactions and the local Discord.

The same scenarios run straight on the runtime and through Discord must pass alike and show the
customer the same kinds of events in the same order (messages, the confirmation card, the
outcome, approvals, handoffs), read back from what Purser posted to the local Discord API. The
one difference is by design: a reply that only repeats an outcome's summary is not posted again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from purser.gym.loader import load_file
from purser.gym.runner import RunOptions, run_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"


def _kinds(events: list[dict[str, object]], *, posted: bool = False) -> list[tuple[object, object]]:
    outcomes = {e.get("summary") for e in events if e.get("type") in ("action_result", "approval_pending")}
    shown = [e for e in events if not (posted and e.get("type") == "message" and e.get("text") in outcomes)]
    return [(e.get("from"), e.get("type")) for e in shown]


@pytest.mark.parametrize(
    "name",
    [
        "refund-this-month-forgot-to-cancel",  # card, Confirm press, exactly one refund
        "refund-cap-fixed-approved",  # over the cap: approval, then the outcome
        "cancel-declined-confirmation",  # Cancel press
        "escalate-chargeback",  # handoff, with its reason
    ],
)
def test_a_scenario_through_discord_passes_like_on_the_runtime(name: str) -> None:
    scenario = load_file(SCENARIOS / f"{name}.yaml")
    direct = run_scenario(scenario, RunOptions(model="offline"))
    through = run_scenario(scenario, RunOptions(model="offline", channel="discord"))
    assert direct.trials[0].passed, direct.trials[0].failures
    assert through.trials[0].passed, through.trials[0].failures
    assert _kinds(through.trials[0].events) == _kinds(direct.trials[0].events, posted=True)
