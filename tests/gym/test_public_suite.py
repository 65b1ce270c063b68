"""The public scenario suite and the shared examples, on the offline model: all pass, zero violations."""

from __future__ import annotations

import pytest

from purser.gym import load_paths
from purser.gym.runner import RunOptions, ScenarioResult
from purser.gym.suite import SuiteResult, run_suite

from .conftest import EXAMPLES, SUITE

SUITE_IDS = [s.id for s in load_paths([SUITE])]
EXAMPLE_IDS = [s.id for s in load_paths([EXAMPLES])]


@pytest.fixture(scope="module")
def suite() -> SuiteResult:
    return run_suite(load_paths([SUITE]), RunOptions(model="offline"))


@pytest.fixture(scope="module")
def examples() -> SuiteResult:
    return run_suite(load_paths([EXAMPLES]), RunOptions(model="offline"))


def _verdict(result: ScenarioResult) -> str:
    data = result.to_json()
    lines = [f"{result.id} ({result.path})", *data["failures"], *(str(v) for v in data["violations"])]
    return "\n".join(lines)


def test_the_suite_is_large_and_varied() -> None:
    scenarios = load_paths([SUITE])
    assert len(scenarios) >= 80
    tags = {t for s in scenarios for t in s.tags}
    assert {"usd", "eur", "gbp", "jpy", "per-seat", "yearly", "past-due", "paused", "trialing", "canceled"} <= tags
    assert sum("attack" in s.tags for s in scenarios) >= 15


@pytest.mark.parametrize("scenario_id", SUITE_IDS)
def test_public_scenario(suite: SuiteResult, scenario_id: str) -> None:
    result = next(r for r in suite.results if r.id == scenario_id)
    assert result.violations == [], _verdict(result)
    assert result.passed, _verdict(result)


def test_parallel_results_keep_the_input_order(examples: SuiteResult) -> None:
    assert [r.id for r in examples.results] == EXAMPLE_IDS
    summary = examples.summary()
    assert summary["total"] == len(EXAMPLE_IDS)
    assert summary["violations"] == 0 and summary["money_moved_by_violations"] == "0.00"


@pytest.mark.parametrize("scenario_id", EXAMPLE_IDS)
def test_shared_example(examples: SuiteResult, scenario_id: str) -> None:
    result = next(r for r in examples.results if r.id == scenario_id)
    assert result.violations == [], _verdict(result)
    assert result.passed, _verdict(result)
