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

from purser.gym import load_paths
from purser.gym.runner import RunOptions, ScenarioResult
from purser.gym.suite import SuiteResult, run_suite

HERE = Path(__file__).parent / "scenarios_dialogue"
IDS = [s.id for s in load_paths([HERE])]


@pytest.fixture(scope="module")
def results() -> SuiteResult:
    return run_suite(load_paths([HERE]), RunOptions(model="offline"))


def _verdict(result: ScenarioResult) -> str:
    data = result.to_json()
    return "\n".join([result.id, *data["failures"], *(str(v) for v in data["violations"])])


@pytest.mark.parametrize("scenario_id", IDS)
def test_dialogue_scenario(results: SuiteResult, scenario_id: str) -> None:
    result = next(r for r in results.results if r.id == scenario_id)
    assert result.violations == [], _verdict(result)
    assert result.passed, _verdict(result)
