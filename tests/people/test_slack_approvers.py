"""Slack approvers are people (DESIGN §9/§11): a press on Approve is the linked person's (`human:NAME`), limits
and two-person approval apply to presses as they do to the admin API, and the configured list of Slack user
ids stays a fallback for teams without accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.channels.test_slack import APPROVALS, APPROVER, NORA, SlackWorld, dm_channel, slack_world

from purser.ports.channels import ChannelName
from purser.testing.slack import buttons

ALICE, BOB, VERA, CARL = "U0ALICE", "U0BOB", "U0VERA", "U0CARL"
SLACK = ChannelName("slack")


@pytest.fixture
def nora() -> Iterator[SlackWorld]:
    """Nora's $20.00 refund needs approval (fixed $10.00 cap); alice, bob and carl approve, vera only views."""
    with slack_world("refund-cap-fixed-approved") as world:
        world.link(NORA, "cus_nora")
        people = world.container.people
        assert people is not None
        people.create("alice", "approver", limit="100.00", slack_user_id=ALICE)
        people.create("bob", "approver", limit="100.00", slack_user_id=BOB)
        people.create("carl", "approver", limit="5.00", slack_user_id=CARL)
        people.create("vera", "viewer", slack_user_id=VERA)
        yield world


def _request(world: SlackWorld) -> object:
    world.say(NORA, "please refund this month's charge")
    [card] = world.cards(dm_channel(NORA))
    world.press(NORA, card, "Confirm")
    [request] = world.server.posts(APPROVALS)
    return request


def _decisions(world: SlackWorld) -> list[str]:
    return [r.actor for r in world.container.audit.records() if r.kind == "approval_decision"]


def test_the_lookup_maps_linked_approvers_to_their_names(nora: SlackWorld) -> None:
    channels = nora.container.channels
    assert channels is not None and nora.container.people is not None
    assert channels.approvers(SLACK, ALICE) == "alice"
    assert channels.approvers(SLACK, VERA) is None  # a viewer presses nothing
    assert channels.approvers(SLACK, "U0NOBODY") is None
    assert channels.approvers(SLACK, APPROVER) == f"slack:{APPROVER}"  # the configured fallback list
    assert channels.approvers(ChannelName("discord"), ALICE) is None
    nora.container.people.disable("alice")
    assert channels.approvers(SLACK, ALICE) is None


def test_a_linked_approvers_press_is_theirs(nora: SlackWorld) -> None:
    request = _request(nora)
    assert nora.press(VERA, request, "Approve").status_code == 403
    assert nora.press(ALICE, request, "Approve").status_code == 200
    assert [r.amount.amount_str() for r in nora.state().refunds.values()] == ["20.00"]
    assert _decisions(nora) == ["human:alice"]


def test_a_press_above_the_limit_changes_nothing_and_leaves_the_buttons(nora: SlackWorld) -> None:
    request = _request(nora)
    calls = len(nora.server.calls)
    assert nora.press(CARL, request, "Approve").status_code == 200  # acknowledged; refused in the approval path
    assert nora.state().refunds == {} and _decisions(nora) == []
    assert not any(c.method == "chat.update" for c in nora.server.calls[calls:])
    assert nora.press(BOB, request, "Approve").status_code == 200
    assert len(nora.state().refunds) == 1 and _decisions(nora) == ["human:bob"]


def test_two_person_approval_from_slack(nora: SlackWorld) -> None:
    from purser.policy.schema import Policy

    rules = nora.container.gateway.approval_rules
    assert rules is not None
    rules.policy = Policy.from_mapping({"approvals": {"two_person_above": "10.00"}})
    request = _request(nora)
    assert nora.press(ALICE, request, "Approve").status_code == 200
    assert nora.state().refunds == {} and _decisions(nora) == []
    approval_id = next(buttons(request))["value"]  # type: ignore[arg-type]
    assert rules.signatures.signers(approval_id) == ("alice",)
    nora.press(ALICE, request, "Approve")  # the same person twice: still one signature, nothing executed
    assert nora.state().refunds == {} and rules.signatures.signers(approval_id) == ("alice",)
    nora.press(BOB, request, "Approve")
    assert len(nora.state().refunds) == 1 and _decisions(nora) == ["human:bob"]
