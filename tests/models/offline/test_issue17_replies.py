"""Issue 17 end to end: the offline model through the real runtime, gateway and sandbox.

`scenarios_17/` holds one scenario per finding of the issue's offline-language list (invalid amounts,
everyday "charge back", off-topic questions, what is owed, the refund window, a failed retry, an
invalid VAT id); the event tests check what the customer reads: each thing once, information as a
message, no internal id or code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from purser.gym import load_paths
from purser.gym.loader import load_file
from purser.gym.runner import RunOptions, ScenarioResult, run_trial
from purser.gym.suite import SuiteResult, run_suite

HERE = Path(__file__).parent / "scenarios_17"
IDS = [s.id for s in load_paths([HERE])]


@pytest.fixture(scope="module")
def results() -> SuiteResult:
    return run_suite(load_paths([HERE]), RunOptions(model="offline"))


@pytest.mark.parametrize("scenario_id", IDS)
def test_issue17_scenario(results: SuiteResult, scenario_id: str) -> None:
    result: ScenarioResult = next(r for r in results.results if r.id == scenario_id)
    data = result.to_json()
    verdict = "\n".join([result.id, *data["failures"], *(str(v) for v in data["violations"])])
    assert result.violations == [], verdict
    assert result.passed, verdict


def _events(name: str) -> list[dict[str, Any]]:
    trial = run_trial(load_file(HERE / name), RunOptions(model="offline"))
    return [e for e in trial.events if e.get("from") == "agent"]


def _said(events: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("text") or e.get("summary") or "") for e in events if e["type"] != "handoff"]


def test_a_failed_retry_is_said_once_and_names_the_fix() -> None:
    said = _said(_events("i17-retry-dead-card.yaml"))
    text = "\n".join(said)
    assert text.lower().count("go through") == 1, said
    assert "card_declined" not in text and "secure link" in text


def test_a_confirmed_refund_is_reported_once() -> None:
    events = _events("i17-charge-back-everyday.yaml")
    said = [s for s in _said(events) if "Refunded" in s]
    assert len(said) == 1, _said(events)


def test_no_card_carries_an_internal_value() -> None:
    for name in ("i17-charge-back-everyday.yaml", "i17-retry-dead-card.yaml"):
        for event in _events(name):
            if event["type"] == "confirmation_request":
                quote = json.dumps(event["quote"])
                assert not any(word in quote for word in ("ch_", "in_", "pm_", "-monthly", "true", "false")), quote
