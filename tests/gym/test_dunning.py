"""Dunning scenarios: the `dunning` key loads strictly (each mistake named with file and key), and a
scenario's days run (failing renewal, the customer's card update, the conversation on its day)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from purser.gym import ScenarioError, load_file
from purser.gym.runner import RunOptions, run_trial

from .conftest import SUITE

BASE = SUITE / "dunning-updates-card.yaml"


def _doc() -> dict[str, Any]:
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _problems(tmp_path: Path, doc: dict[str, Any]) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_file(path)
    for line in info.value.problems:
        assert line.startswith(f"{path}: "), line
    return str(info.value)


def test_the_public_dunning_scenarios_load() -> None:
    scenario = load_file(BASE)
    assert scenario.dunning is not None and scenario.turns == ()
    assert scenario.dunning.days == 20 and scenario.dunning.steps[0].update_card == "succeeds"
    reply = load_file(SUITE / "dunning-expired-card-reply.yaml")
    assert reply.dunning is not None and reply.dunning.reply_day == 2 and reply.turns


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"days": 0}, "dunning.days: expected a whole number of at least 1"),
        ({"days": 500}, "dunning.days: expected at most 120"),
        ({"days": None}, "dunning.days: expected a whole number"),
        (
            {"customer": [{"day": 2, "update_card": "gold"}]},
            "dunning.customer[0].update_card: expected one of succeeds",
        ),
        ({"customer": [{"day": 2}]}, "dunning.customer[0]: expected exactly one of update_card or reply"),
        ({"customer": [{"day": 30, "update_card": "succeeds"}]}, "dunning.customer[0].day: expected a day within"),
        ({"customer": [{"update_card": "succeeds"}]}, "dunning.customer[0].day: missing required key"),
        ({"customer": [{"day": 2, "reply": True}]}, "`turns` for the reply"),
        (
            {"customer": [{"day": 5, "update_card": "succeeds"}, {"day": 2, "update_card": "declines"}]},
            "entries in day order",
        ),
        ({"customer": [{"day": 2, "pay_cash": True}]}, "dunning.customer[0].pay_cash: unknown key"),
        ({"expect": {"status": "happy"}}, "dunning.expect.status: expected one of open, recovered"),
        ({"expect": {"outreach": -1}}, "dunning.expect.outreach: expected a whole number of at least 0"),
        ({"expect": {"status": "lost", "recovered_by": "retry"}}, "status: recovered alongside it"),
        ({"cadence": []}, "dunning.cadence: unknown key"),
    ],
)
def test_a_bad_dunning_key_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    doc = _doc()
    doc["dunning"] = {**doc["dunning"], **change}
    assert message in _problems(tmp_path, doc)


def test_turns_need_a_reply_day_and_a_plain_chat_needs_turns(tmp_path: Path) -> None:
    doc = _doc()
    doc["turns"] = ["Hello?"]
    assert "a {day: N, reply: yes} entry" in _problems(tmp_path, doc)
    del doc["dunning"]
    del doc["turns"]
    assert "turns: missing required key" in _problems(tmp_path, doc)


def test_a_scenario_runs_its_days_and_is_judged_on_them(tmp_path: Path) -> None:
    trial = run_trial(load_file(BASE), RunOptions(model="offline"))
    assert trial.passed, trial.failures
    doc = _doc()
    doc["dunning"]["expect"] = {"status": "lost", "outreach": 3}
    path = tmp_path / "wrong.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    wrong = run_trial(load_file(path), RunOptions(model="offline"))
    assert wrong.failures == [
        "dunning.status: expected lost, got recovered",
        "dunning.outreach: expected 3 email(s) of kind dunning, got 1",
    ]
