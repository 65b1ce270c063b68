"""`purser eval --channel email`: gym scenarios pass through real email (signed inbound mail, SMTP
replies, the confirmation page pressed as a browser does), with the same events as without a channel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from purser.gym.loader import load_file
from purser.gym.runner import RunOptions, run_scenario
from purser.testing.channels import channel_harness
from purser.testing.email_driver import EmailHarness

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"


def _types(events: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(e.get("from"), e.get("type")) for e in events]


@pytest.mark.parametrize(
    "name",
    [
        "refund-this-month-forgot-to-cancel",  # a confirmation pressed on the page, one refund
        "refund-cap-fixed-approved",  # over the cap: approval pending, then the outcome by email
        "cancel-declined-confirmation",  # Cancel pressed: nothing changes
        "escalate-legal-threat",  # a handoff, its reason read back from the conversation
    ],
)
def test_a_scenario_passes_through_email_with_the_same_events_as_the_runtime(name: str) -> None:
    scenario = load_file(SCENARIOS / f"{name}.yaml")
    through_email = run_scenario(scenario, RunOptions(model="offline", channel="email")).trials[0]
    direct = run_scenario(scenario, RunOptions(model="offline")).trials[0]
    assert through_email.passed, through_email.failures
    assert _types(through_email.events) == _types(direct.events)
    said = [e.get("text") for e in through_email.events if e.get("type") == "message" and e.get("from") == "agent"]
    assert said == [e.get("text") for e in direct.events if e.get("type") == "message" and e.get("from") == "agent"]


def test_the_harness_is_registered_and_points_the_channel_at_its_sink() -> None:
    from purser.config import Settings

    harness = channel_harness("email")
    assert isinstance(harness, EmailHarness)
    settings = harness.settings(Settings())
    assert settings.channels.email is not None
    assert settings.channels.email.smtp_url == harness.sink.url
    assert settings.public_url == "http://testserver"
