"""`python -m purser.testing.slack`: the try-out's lines drive the real app as Slack's users would
(the customer writes and presses Confirm, the approver presses Approve, a teammate replies in a
handoff's thread), and the command prints the settings that point Purser at the local Slack.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from purser.app import Container, build_for_world, read_state
from purser.config import ChannelsSettings, Settings
from purser.gym.loader import load_file
from purser.testing._slack_tryout import APPROVALS, APPROVER, TEAM, TryOut, main
from purser.testing.slack import SlackApiServer, dm_channel
from purser.web.app import create_app

SCENARIOS = Path(__file__).resolve().parents[1] / "gym" / "scenarios"


@pytest.fixture
def tryout() -> Iterator[tuple[TryOut, Container]]:
    """Nora's world (a $10.00 refund cap) with the try-out's channels, as `serve` prints them."""
    loaded = load_file(SCENARIOS / "refund-cap-fixed-approved.yaml")
    secret = secrets.token_hex(16)
    with SlackApiServer() as server:
        slack = server.settings(secret, approvals_channel=APPROVALS, team_channel=TEAM, approvers=(APPROVER,))
        container = build_for_world(
            loaded.world,
            loaded.now,
            policy_overrides=loaded.policy_overrides or None,
            settings=Settings(channels=ChannelsSettings(slack=slack)),
        )
        try:
            assert container.channels is not None
            container.channels.identity.link("slack", "U1", "cus_nora", by="admin:test")
            yield TryOut(server, TestClient(create_app(container)), user="U1", secret=secret), container
        finally:
            container.close()


def _type(tryout: TryOut, container: Container, line: str) -> None:
    tryout.line(line)
    assert container.channels is not None
    container.channels.drain()


def test_typed_lines_refund_through_an_approval_and_a_teammate_replies(tryout: tuple[TryOut, Container]) -> None:
    session, container = tryout
    _type(session, container, "please refund this month's charge")
    _type(session, container, "/confirm")
    assert read_state(container.db).refunds == {}
    _type(session, container, "/approve")
    assert [r.charge for r in read_state(container.db).refunds.values()] == ["ch_nora_11"]
    _type(session, container, "I want to talk to a human")
    _type(session, container, "/reply Hello from the billing team")
    texts = [c.body.get("text", "") for c in session.server.posts(dm_channel("U1"))]
    assert any("Hello from the billing team" in t for t in texts)


def test_a_button_that_is_not_there_yet_is_said_so(
    tryout: tuple[TryOut, Container], capsys: pytest.CaptureFixture[str]
) -> None:
    session, container = tryout
    _type(session, container, "/approve")
    _type(session, container, "/reply nobody to reply to")
    out = capsys.readouterr().out
    assert "no Approve button in C0APPROVALS yet" in out and "no handoff in the team channel yet" in out
    assert session.server.calls == []


def test_the_command_prints_how_to_point_purser_at_the_local_slack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PURSER_CHANNELS__SLACK__SIGNING_SECRET", "from-the-environment")
    monkeypatch.setattr("sys.stdin", iter([]))
    assert main(["--port", "0"]) == 0
    out = capsys.readouterr().out
    assert "export PURSER_CHANNELS__SLACK__SIGNING_SECRET='from-the-environment'" in out
    assert "export PURSER_CHANNELS__SLACK__API_BASE='http://127.0.0.1:" in out
    assert "purser channel link slack U1 cus_ana" in out
