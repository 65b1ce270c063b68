"""The malformed-amount table: every rule's examples are refused by it, its counter-examples by none."""

from __future__ import annotations

import pytest

from purser.models.offline.amount_rules import AMOUNT_RULES, AmountRule, amount_problem

EXAMPLES = [(rule, text) for rule in AMOUNT_RULES for text in rule.examples]
COUNTER = [(rule, text) for rule in AMOUNT_RULES for text in rule.counter_examples]


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=[f"{r.name}:{t}" for r, t in EXAMPLES])
def test_each_example_is_refused_by_its_rule(rule: AmountRule, text: str) -> None:
    found = rule.pattern.search(text)
    assert found is not None
    message = amount_problem(text, "usd")
    assert message is not None and found.group("written").strip() in message


@pytest.mark.parametrize(("rule", "text"), COUNTER, ids=[f"{r.name}:{t}" for r, t in COUNTER])
def test_a_counter_example_is_a_usable_amount(rule: AmountRule, text: str) -> None:
    currency = "eur" if "euro" in text or "€" in text else "usd"
    assert amount_problem(text, currency) is None


def test_a_thousands_dot_is_an_amount_where_customers_write_it() -> None:
    assert amount_problem("refund 1.500 of the yearly charge", "eur") is None
    assert amount_problem("refund 1.500 of the yearly charge", "usd") is not None
