"""Outreach on the customer's linked channel (DESIGN §10 `channel: preferred`): a customer linked to a
Slack user gets the dunning message in Slack (a real local Slack Web API server), not by email; an
unlinked one, or `channel: email`, gets email."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from purser.app import Container, build, build_dunning
from purser.config import Settings, SlackSettings
from purser.domain import CustomerId
from purser.dunning.cases import StepAction
from purser.dunning.clock import advance
from purser.processors.sandbox import SandboxProcessor
from purser.testing.dunning import PRO, add_failing_customer
from purser.testing.slack import SlackApiServer, dm_channel


@pytest.fixture
def slack() -> Iterator[SlackApiServer]:
    with SlackApiServer() as server:
        yield server


@pytest.fixture
def world(tmp_path: Path, slack: SlackApiServer) -> Iterator[Container]:
    slack_settings = SlackSettings(signing_secret="s" * 32, bot_token=slack.bot_token, api_base=slack.api_base)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'purser.db'}",
        public_url="https://billing.example.test",
        link_secret="channel-outreach-secret",
        channels={"slack": slack_settings},
    )
    container = build(settings)
    sandbox = container.processor
    assert isinstance(sandbox, SandboxProcessor)
    with sandbox.bulk_import() as imp:
        imp.create_plan(PRO)
        for cid in ("cus_slack", "cus_mail"):
            add_failing_customer(imp, cid)
        imp.set_clock(datetime(2026, 11, 30, tzinfo=UTC))
    assert container.channels is not None
    container.channels.identity.link("slack", "U_SLACK", "cus_slack", by="admin:test")
    yield container
    container.close()


def test_a_linked_customer_hears_on_slack_and_the_other_by_email(world: Container, slack: SlackApiServer) -> None:
    sandbox = world.processor
    assert isinstance(sandbox, SandboxProcessor)
    dunning = build_dunning(world.settings, world.db, sandbox, notifier=world.channels)
    advance(sandbox, dunning, datetime(2026, 12, 1, 16, tzinfo=UTC))
    [post] = slack.posts(dm_channel("U_SLACK"))
    text = str(post.body["text"])
    assert "$50.00" in text and "Visa ending 4242" in text and "https://billing.example.test/pay/" in text
    assert [e.kind for e in sandbox.emails(CustomerId("cus_slack"))] == []
    assert [e.kind for e in sandbox.emails(CustomerId("cus_mail"))] == ["dunning"]
    outcomes = {c.customer_id: c for c in dunning.repo.cases()}
    slack_case = dunning.repo.get(outcomes[CustomerId("cus_slack")].id)
    assert slack_case is not None
    assert [r.outcome for r in slack_case.steps if r.action is StepAction.NOTIFY] == ["channel"]


def test_channel_email_ignores_the_link(world: Container, slack: SlackApiServer) -> None:
    sandbox = world.processor
    assert isinstance(sandbox, SandboxProcessor)
    policy = world.settings.policy.merged({"dunning": {"channel": "email"}})
    dunning = build_dunning(world.settings, world.db, sandbox, policy=policy, notifier=world.channels)
    advance(sandbox, dunning, datetime(2026, 12, 1, 16, tzinfo=UTC))
    assert slack.posts(dm_channel("U_SLACK")) == []
    assert [e.kind for e in sandbox.emails(CustomerId("cus_slack"))] == ["dunning"]
