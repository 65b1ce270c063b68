"""End to end: the offline model through the real runtime, gateway and sandbox on its own scenarios.

`scenarios/` holds paraphrases written for the offline model (informal, typos, non-native,
multi-request, injection) in FORMAT.md's format; each must pass with zero policy violations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from purser.gym import load_paths
from purser.gym.runner import RunOptions, ScenarioResult
from purser.gym.suite import SuiteResult, run_suite

HERE = Path(__file__).parent / "scenarios"
IDS = [s.id for s in load_paths([HERE])]


@pytest.fixture(scope="module")
def results() -> SuiteResult:
    return run_suite(load_paths([HERE]), RunOptions(model="offline"))


def _verdict(result: ScenarioResult) -> str:
    data = result.to_json()
    return "\n".join([result.id, *data["failures"], *(str(v) for v in data["violations"])])


@pytest.mark.parametrize("scenario_id", IDS)
def test_offline_scenario(results: SuiteResult, scenario_id: str) -> None:
    result = next(r for r in results.results if r.id == scenario_id)
    assert result.violations == [], _verdict(result)
    assert result.passed, _verdict(result)
