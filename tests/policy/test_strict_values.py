"""Policy values are checked against the currency and their type before anything runs: an amount with
more decimals than the currency has, a boolean where a count goes, a quoted word where a boolean goes,
an empty `policy:` — each is refused naming its key, from the file as from a scenario override."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.config import ConfigError, load_settings
from purser.money import Money, currency_exponent
from purser.policy.schema import MAX_AMOUNT_MINOR, Policy, PolicyError


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"refunds": {"max_amount": "50.001"}}, "policy.refunds.max_amount", "more than 2 decimal places for USD"),
        ({"currency": "jpy", "refunds": {"daily_budget": "10.5"}}, "policy.refunds.daily_budget", "JPY"),
        ({"refunds": {"max_amount": "99999999999999999999.00"}}, "policy.refunds.max_amount", "too large"),
        ({"approvals": {"two_person_above": "0.001"}}, "policy.approvals.two_person_above", "decimal places"),
        ({"refunds": {"window_days": True}}, "policy.refunds.window_days", "whole number"),
        ({"refunds": {"per_customer_count": 1.5}}, "policy.refunds.per_customer_count", "whole number"),
        ({"refunds": {"duplicates_exempt": "yes"}}, "policy.refunds.duplicates_exempt", "true or false"),
        ({"refunds": {"duplicates_exempt": 1}}, "policy.refunds.duplicates_exempt", "true or false"),
        ({"cancellation": {"pause_max_months": False}}, "policy.cancellation.pause_max_months", "whole number"),
        ({"refunds": None}, "policy.refunds", "valid dictionary"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(overrides: dict[str, object], key: str, words: str) -> None:
    with pytest.raises(PolicyError) as refused:
        Policy().merged(overrides)
    message = str(refused.value)
    assert message.startswith(f"{key}:") and words in message, message


def test_policy_null_in_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "purser.yaml"
    path.write_text("policy:\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert "policy: expected a mapping of policy keys, got null" in str(refused.value)
    path.write_text('policy:\n  refunds:\n    max_amount: "50.001"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"policy\.refunds\.max_amount: amount '50.001'"):
        load_settings(path)


def test_good_values_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = Policy().merged({"refunds": {"max_amount": "50.00", "window_days": 14, "duplicates_exempt": False}})
    assert policy.refunds.max_amount_money("usd") == Money(5000, "usd") and policy.refunds.window_days == 14
    assert Policy().merged({"currency": "jpy", "refunds": {"daily_budget": "5000"}}).refunds.daily_budget == "5000"
    monkeypatch.setenv("PURSER_POLICY__REFUNDS__WINDOW_DAYS", "21")  # an environment variable is text
    monkeypatch.chdir(tmp_path)
    assert load_settings().policy.refunds.window_days == 21


@given(
    currency=st.sampled_from(["usd", "eur", "jpy", "kwd", "bhd", "clp"]),
    minor=st.integers(min_value=0, max_value=MAX_AMOUNT_MINOR),
    extra_digit=st.integers(min_value=1, max_value=9),
)
def test_caps_in_any_currency_accept_its_exponent_and_refuse_one_more_decimal(
    currency: str, minor: int, extra_digit: int
) -> None:
    text = Money(minor, currency).amount_str()
    policy = Policy().merged({"currency": currency, "refunds": {"max_amount": text, "daily_budget": text}})
    assert policy.refunds.max_amount_money(currency, currency) == Money(minor, currency)
    finer = text + ("" if currency_exponent(currency) else ".") + str(extra_digit)
    with pytest.raises(PolicyError, match=r"policy\.refunds\.max_amount"):
        Policy().merged({"currency": currency, "refunds": {"max_amount": finer}})
