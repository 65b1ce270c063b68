"""Shadow mode (DESIGN §11): writes are quoted as usual, but every run waits for a person's approval."""

from __future__ import annotations

import pytest
from tests.actions.conftest import Env, customer, make_env, world

from purser.policy.schema import Policy, PolicyError


def _env(policy: dict[str, object]) -> Env:
    return make_env(world(customer("ana", duplicate=True), customer("bob")), policy=policy)


@pytest.mark.parametrize("policy", [{"mode": "shadow"}, {"actions": {"refund": "shadow"}}])
def test_a_confirmed_refund_waits_for_a_person_then_runs_once(policy: dict[str, object]) -> None:
    env = _env(policy)
    scope = env.scope("ana")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"})
    assert prop.status == "needs_confirmation" and prop.quote is not None and prop.quote["amount"] == "20.00"
    pending = env.gateway.confirm(scope, prop.action_id, "yes")
    assert pending.status == "pending_approval" and pending.approval_id
    [request] = env.gateway.approvals(status="pending")
    assert (request.reason, request.action, request.amount) == ("shadow", "refund", "20.00")
    assert env.processor.snapshot(scope.customer_id).refunds == ()
    done = env.gateway.decide_approval(pending.approval_id, approve=True, approver="sam", reason="as proposed")
    assert done.status == "succeeded"
    again = env.gateway.decide_approval(pending.approval_id, approve=True, approver="sam", reason="twice")
    assert again.status == "refused"
    assert [r.amount.amount_str() for r in env.processor.snapshot(scope.customer_id).refunds] == ["20.00"]
    assert env.audit.verify().ok


def test_shadow_keeps_the_policys_own_reason_outside_the_envelope() -> None:
    env = _env({"mode": "shadow"})
    scope = env.scope("bob")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_08", "amount": None, "reason": None})
    env.gateway.confirm(scope, prop.action_id, "yes")
    [request] = env.gateway.approvals(status="pending")
    assert request.reason == "window"


def test_a_denied_shadow_proposal_moves_nothing() -> None:
    env = _env({"actions": {"refund": "shadow"}})
    scope = env.scope("ana")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"})
    pending = env.gateway.confirm(scope, prop.action_id, "yes")
    assert pending.approval_id is not None
    env.gateway.decide_approval(pending.approval_id, approve=False, approver="sam", reason="not yet")
    assert env.processor.snapshot(scope.customer_id).refunds == ()


def test_only_shadowed_actions_wait() -> None:
    env = _env({"actions": {"change_plan": "shadow"}})
    scope = env.scope("ana")
    _, done = env.propose_confirm(scope, "refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"})
    assert done is not None and done.status == "succeeded"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "dark"}, "policy.mode"),
        ({"actions": {"refund": "shadowy"}}, "policy.actions.refund"),
        ({"actions": {"refund": 1}}, "policy.actions.refund"),
    ],
)
def test_bad_modes_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_mapping(data)


def test_shadowed_actions_stay_enabled() -> None:
    policy = Policy.from_mapping({"actions": {"refund": "shadow", "cancel": "off"}})
    assert policy.actions.enabled("refund") and policy.shadowed("refund")
    assert not policy.actions.enabled("cancel")
    assert not policy.shadowed("change_plan")
    assert Policy.from_mapping({"mode": "shadow"}).shadowed("change_plan")
