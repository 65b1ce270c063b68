"""End to end: the offline model through the real runtime, gateway and sandbox on its own scenarios.

`scenarios/` holds paraphrases written for the offline model (informal, typos, non-native,
multi-request, injection) in FORMAT.md's format; each must pass with zero policy violations.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_folders import assert_passed, run_folder, scenario_ids

from purser.gym.suite import SuiteResult

HERE = Path(__file__).parent / "scenarios"


@pytest.fixture(scope="module")
def results() -> SuiteResult:
    return run_folder(HERE)


@pytest.mark.parametrize("scenario_id", scenario_ids(HERE))
def test_offline_scenario(results: SuiteResult, scenario_id: str) -> None:
    assert_passed(results, scenario_id)
