"""Policy amounts across currencies: conversion only ever makes the envelope stricter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purser.money import InvalidAmount, Money
from purser.policy import Policy
from purser.policy.fx import REFERENCE_RATES_PER_USD, cap_in, convert, spent_in

currencies = st.sampled_from(sorted(REFERENCE_RATES_PER_USD))


def test_default_budget_in_yen_is_the_usd_budget_converted() -> None:
    budget = Policy().refunds.daily_budget_money("jpy", "usd")
    assert budget == Money(75000, "jpy")
    assert Policy().refunds.daily_budget_money("usd", "usd") == Money(50000, "usd")


def test_fixed_cap_is_stated_in_the_policy_currency() -> None:
    rules = Policy().merged({"refunds": {"max_amount": "50.00"}}).refunds
    assert rules.max_amount_money("usd", "usd") == Money(5000, "usd")
    assert rules.max_amount_money("eur", "usd") == Money(4600, "eur")
    assert Policy().refunds.max_amount_money("eur", "usd") is None


@given(st.integers(min_value=0, max_value=10**12), currencies, currencies)
def test_caps_round_down_and_spending_rounds_up(minor: int, source: str, target: str) -> None:
    amount = Money(minor, source)
    low, high = cap_in(amount, target), spent_in(amount, target)
    assert low.currency == high.currency == target
    assert low <= high
    assert high.minor - low.minor <= 1


@given(st.integers(min_value=0, max_value=10**9), currencies)
def test_same_currency_is_identity(minor: int, currency: str) -> None:
    assert convert(Money(minor, currency), currency, round_up=True) == Money(minor, currency)


def test_unknown_rate_is_a_clear_error() -> None:
    with pytest.raises(InvalidAmount, match="no reference rate for ISK"):
        cap_in(Money(100, "isk"), "usd")
