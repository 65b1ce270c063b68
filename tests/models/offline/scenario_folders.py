"""A folder of scenarios run end to end on the offline model, through the real runtime, gateway and
sandbox: one suite run per folder, one test per scenario, each failing with what went wrong."""

from __future__ import annotations

from pathlib import Path

from purser.gym import load_paths
from purser.gym.runner import RunOptions, ScenarioResult
from purser.gym.suite import SuiteResult, run_suite


def scenario_ids(folder: Path) -> list[str]:
    """The ids of the scenarios in `folder` (the tests' parameters)."""
    return [s.id for s in load_paths([folder])]


def run_folder(folder: Path) -> SuiteResult:
    """Every scenario in `folder` on the offline model."""
    return run_suite(load_paths([folder]), RunOptions(model="offline"))


def verdict(result: ScenarioResult) -> str:
    """The scenario's id, then its failures and policy violations, one a line."""
    data = result.to_json()
    return "\n".join([result.id, *data["failures"], *(str(v) for v in data["violations"])])


def assert_passed(results: SuiteResult, scenario_id: str) -> None:
    """Scenario `scenario_id` of `results` passed, with zero policy violations."""
    result = next(r for r in results.results if r.id == scenario_id)
    assert result.violations == [], verdict(result)
    assert result.passed, verdict(result)
