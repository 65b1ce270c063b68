"""`purser eval --channel slack`: gym trials through the Slack harness pass, and the agent's events read
back from Slack match, type for type, what the runtime driver sees without a channel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from purser.gym.loader import load_file
from purser.gym.runner import RunOptions, run_trial
from purser.testing.channels import channel_harness
from purser.testing.slack_driver import APPROVALS_CHANNEL, TEAM_CHANNEL, SlackHarness

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"


@pytest.mark.parametrize(
    "scenario",
    [
        "refund-this-month-forgot-to-cancel",  # confirm → one refund
        "refund-cap-fixed-approved",  # confirm → approval in Slack → approved
        "refund-window-denied",  # approval denied
        "escalate-human-request",  # handoff with its reason, from the team channel
        "cancel-declined-confirmation",  # Cancel pressed
    ],
)
def test_a_trial_through_slack_passes_and_sees_what_the_runtime_sees(scenario: str) -> None:
    loaded = load_file(SCENARIOS / f"{scenario}.yaml")
    through_slack = run_trial(loaded, RunOptions(channel="slack"))
    direct = run_trial(loaded, RunOptions())
    assert through_slack.passed, through_slack.failures
    assert direct.passed, direct.failures

    def kinds(events: list[dict[str, object]]) -> list[tuple[object, object]]:
        # Slack leaves out a message that only repeats an action result's words (docs/channels/slack.md).
        results = {e["summary"] for e in events if e["type"] == "action_result"}
        return [(e["from"], e["type"]) for e in events if not (e["type"] == "message" and e.get("text") in results)]

    assert kinds(through_slack.events) == kinds(direct.events)
    slack_handoffs = [e["reason"] for e in through_slack.events if e["type"] == "handoff"]
    assert slack_handoffs == [e["reason"] for e in direct.events if e["type"] == "handoff"]


def test_the_harness_points_slack_at_its_local_server_with_an_approver() -> None:
    from purser.config import Settings

    harness = channel_harness("slack")
    assert isinstance(harness, SlackHarness)
    slack = harness.settings(Settings()).channels.slack
    assert slack is not None
    assert slack.api_base == harness.server.api_base and slack.api_base.startswith("http://127.0.0.1:")
    assert (slack.approvals_channel, slack.team_channel) == (APPROVALS_CHANNEL, TEAM_CHANNEL)
    assert len(slack.approvers) == 1
    approvals = harness.server.posts(APPROVALS_CHANNEL)
    assert all(c.headers["authorization"] == f"Bearer {harness.server.bot_token}" for c in approvals)
