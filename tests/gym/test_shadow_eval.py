"""`purser eval --shadow`: the shared examples run with every write turned into an approval, accepted as
proposed; the suite still passes and reports how many writes would have run without a person."""

from __future__ import annotations

from purser.gym import load_paths
from purser.gym.runner import RunOptions
from purser.gym.suite import run_suite

from .conftest import EXAMPLES


def test_shadow_mode_reports_the_would_be_automation_rate() -> None:
    live = run_suite(load_paths([EXAMPLES]), RunOptions(model="offline"), workers=1)
    shadow = run_suite(load_paths([EXAMPLES]), RunOptions(model="offline", shadow=True), workers=1)
    assert [r.passed for r in shadow.results] == [r.passed for r in live.results]
    assert shadow.summary()["violations"] == 0
    figures = shadow.shadow_summary()
    live_approvals = sum(len(t.approval_reasons) for r in live.results for t in r.trials)
    assert figures["needed_a_person"] == live_approvals  # the policy's own approvals, unchanged
    assert figures["would_run_alone"] > 0
    assert figures["writes_proposed"] == figures["would_run_alone"] + figures["needed_a_person"]
    assert 0 < figures["would_be_automation_rate"] < 1 or figures["needed_a_person"] == 0
    assert live.shadow_summary()["would_run_alone"] == 0
