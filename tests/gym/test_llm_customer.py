"""The LLM-played customer, against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from purser.gym import Scenario
from purser.gym.llm_customer import LLMCustomer
from purser.gym.runner import RunOptions, run_trial
from purser.gym.wiring import GymSetupError, check_setup, make_customer
from purser.testing.llm_server import LLMServer, openai_text

GOAL = "You are Ana. You were charged twice on November 1st and want the extra charge refunded, nothing else."


def _config(tmp_path: Path, base_url: str) -> str:
    path = tmp_path / "purser.yaml"
    path.write_text(
        f"models:\n  - {{name: fake-user, provider: openai, model: gpt-fake, base_url: '{base_url}'}}\n",
        encoding="utf-8",
    )
    return str(path)


def test_the_llm_writes_the_customer_turns_from_the_goal(
    tmp_path: Path, scenario_with: Callable[..., Scenario]
) -> None:
    sc = scenario_with(goal=GOAL)
    opening = openai_text("Hi, I was charged twice on November 1st, can you refund the extra one?")
    with LLMServer("openai", [opening], when_exhausted=openai_text("###STOP###")) as fake:
        options = RunOptions(model="offline", user_model="fake-user", config=_config(tmp_path, fake.base_url))
        check_setup(options)
        assert isinstance(make_customer(sc, options), LLMCustomer)
        trial = run_trial(sc, options)
    said = [ev["text"] for ev in trial.events if ev["from"] == "customer" and ev["type"] == "message"]
    assert said == ["Hi, I was charged twice on November 1st, can you refund the extra one?"]
    assert fake.requests, "the customer model was never called"
    first = str(fake.requests[0]["messages"])
    assert "charged twice on November 1st" in first and "###STOP###" in first
    later = str(fake.requests[-1]["messages"])
    assert "YOU: Hi, I was charged twice" in later  # the model sees the conversation so far


def test_scripted_turns_without_user_model_or_goal(scenario_with: Callable[..., Scenario]) -> None:
    sc = scenario_with()
    assert not isinstance(make_customer(sc, RunOptions(user_model="x")), LLMCustomer)  # no goal: scripted


def test_an_unknown_user_model_is_refused_before_running(tmp_path: Path) -> None:
    with LLMServer("openai") as fake, pytest.raises(GymSetupError, match="not a configured model"):
        check_setup(RunOptions(user_model="nobody", config=_config(tmp_path, fake.base_url)))
