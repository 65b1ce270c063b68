"""End to end: the dialogue classes of issue 17 through the real runtime, gateway and sandbox.

`scenarios_dialogue/` holds conversations written for these classes (new wording, not a held-out
set's): two requests in one message, each with its own confirmation; follow-ups resolved against the
previous turn ("ok go for it then", "the yearly one then", "just November then?", "pause it instead");
a relative correction stays relative to the account ("make that one more seat"); a bare fragment fills
the slot the agent asked for or corrects the reference of the request just done ("september",
"sorry typo, KAI-0004", "the one from the first of november"); month ranges ("since June").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_folders import assert_passed, run_folder, scenario_ids

from purser.gym.suite import SuiteResult

HERE = Path(__file__).parent / "scenarios_dialogue"


@pytest.fixture(scope="module")
def results() -> SuiteResult:
    return run_folder(HERE)


@pytest.mark.parametrize("scenario_id", scenario_ids(HERE))
def test_dialogue_scenario(results: SuiteResult, scenario_id: str) -> None:
    assert_passed(results, scenario_id)
