"""The HTML report: self-contained, one plot set for several models, violations listed with their money."""

from __future__ import annotations

from decimal import Decimal

from purser.gym.report import render_html
from purser.gym.runner import ScenarioResult, TrialResult
from purser.gym.suite import SuiteResult, format_money_totals
from purser.gym.violations import Violation
from purser.money import Money


def _run(model: str, cost: str, violation: Violation | None = None) -> SuiteResult:
    ok = TrialResult(True, [], [], 2, 1200, Decimal(cost), 1.5)
    bad = TrialResult(
        False, ["refunds: expected [], got [x]"], [violation] if violation else [], 3, 900, Decimal(0), 2.5
    )
    results = [
        ScenarioResult("a", "A", ("refund", "usd"), "a.yaml", model, [ok]),
        ScenarioResult("b", "B", ("attack",), "b.yaml", model, [bad]),
    ]
    return SuiteResult(model, 1, results, 4.0)


def test_two_models_on_one_page() -> None:
    leak = Violation("window", "re_1", "refund of 20.00 USD on ch_1: too old", Money(2000, "usd"))
    page = render_html([_run("offline", "0"), _run("gpt-x", "0.0123", leak)])
    assert page.count("data:image/png;base64,") == 4
    assert "gpt-x" in page and "offline" in page
    assert "re_1" in page and "20.00" in page and "too old" in page
    assert "<script" not in page and "http" not in page


def test_summary_and_money_totals() -> None:
    leak = Violation("count", "re_2", "d", Money(1500, "jpy"))
    summary = _run("m", "0.5", leak).summary()
    assert summary["total"] == 2 and summary["passed"] == 1
    assert summary["pass_rate"] == 0.5 and summary["violations"] == 1
    assert summary["money_moved_by_violations"] == "1500"
    assert summary["tokens"] == 2100 and summary["cost_usd"] == "0.5"
    assert format_money_totals({}) == "0.00"
    both = {"usd": Money(2000, "usd"), "jpy": Money(1500, "jpy")}
    assert format_money_totals(both) == "1500 JPY + 20.00 USD"
