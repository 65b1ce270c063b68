"""Configuration: file, environment precedence, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from purser.config import ConfigError, load_settings
from purser.policy import Policy, PolicyError


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.processor == "sandbox"
    assert settings.model == "offline"
    assert settings.policy == Policy()


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "purser.yaml"
    cfg.write_text("model: cheap\npolicy:\n  refunds: {window_days: 14, over_limit: refuse}\n")
    monkeypatch.setenv("PURSER_MODEL", "strong")
    settings = load_settings(cfg)
    assert settings.model == "strong"
    assert settings.policy.refunds.window_days == 14
    assert settings.policy.refunds.over_limit == "refuse"
    assert settings.policy.refunds.per_customer_count == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("policy:\n  refunds: {window_days: -1}\n", "policy.refunds.window_days"),
        ("policy:\n  refunds: {max_amount: 12.5}\n", "policy.refunds.max_amount"),
        ("policy:\n  refundz: {}\n", "policy.refundz: unknown key"),
        ("policy:\n  actions: {refund: maybe}\n", "policy.actions.refund"),
        ("processor: paypal\n", "processor"),
        ("- a list\n", "expected a mapping"),
        ("policy: [\n", "not valid YAML"),
    ],
)
def test_invalid_file_names_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    cfg = tmp_path / "purser.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[")):
        load_settings(cfg)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nope.yaml")


def test_policy_merge_is_deep_and_validated() -> None:
    merged = Policy().merged({"refunds": {"daily_budget": "100.00"}, "plans": {"max_seat_change": 5}})
    assert merged.refunds.daily_budget == "100.00"
    assert merged.refunds.window_days == 30
    assert merged.plans.max_seat_change == 5
    with pytest.raises(PolicyError, match=r"scenario\.refunds\.daily_budget"):
        Policy().merged({"refunds": {"daily_budget": "ten"}}, source="scenario")
    with pytest.raises(PolicyError, match=r"scenario\.escalation\.triggers"):
        Policy().merged({"escalation": {"triggers": ["weather"]}}, source="scenario")


def test_actions_switches() -> None:
    policy = Policy().merged({"actions": {"refund": "off"}})
    assert not policy.actions.enabled("refund")
    assert policy.actions.enabled("lookup_account")
    assert policy.actions.enabled("handoff")
    assert not policy.actions.enabled("transfer_funds")
