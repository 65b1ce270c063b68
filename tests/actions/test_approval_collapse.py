"""A customer asking again for something a teammate is already reviewing does not queue a second request."""

from __future__ import annotations

from tests.actions.conftest import Env


def _ask(env: Env, conversation: str, charge: str) -> tuple[str, str | None]:
    scope = env.scope("bob", conversation=conversation)
    prop = env.gateway.propose(scope, "refund", {"charge_id": charge, "amount": None, "reason": None})
    assert prop.status == "needs_confirmation", prop
    done = env.gateway.confirm(scope, prop.action_id, "yes")
    return done.status, done.reason


def test_eleven_requests_for_one_charge_make_one_approval(env: Env) -> None:
    first = _ask(env, "conv_0", "ch_bob_08")
    assert first[0] == "pending_approval"
    for i in range(1, 11):
        assert _ask(env, f"conv_{i}", "ch_bob_08") == ("refused", "approval_pending")
    assert len(env.gateway.approvals(status="pending")) == 1
    # Another charge is another request.
    assert _ask(env, "conv_x", "ch_bob_07")[0] == "pending_approval"
    assert len(env.gateway.approvals(status="pending")) == 2
    assert env.audit.verify().ok


def test_after_a_decision_the_customer_may_ask_again(env: Env) -> None:
    assert _ask(env, "conv_0", "ch_bob_08")[0] == "pending_approval"
    [request] = env.gateway.approvals(status="pending")
    env.gateway.decide_approval(request.id, approve=False, approver="sam", reason="too old")
    assert _ask(env, "conv_1", "ch_bob_08")[0] == "pending_approval"


def test_the_reviewers_note_stays_internal(env: Env) -> None:
    assert _ask(env, "conv_0", "ch_bob_08")[0] == "pending_approval"
    [request] = env.gateway.approvals(status="pending")
    note = "INTERNAL: flagged for abuse, see ticket 4411"
    denied = env.gateway.decide_approval(request.id, approve=False, approver="sam", reason=note)
    assert denied.status == "denied" and "INTERNAL" not in denied.summary and "4411" not in denied.summary
    records = env.audit.records(action_id=request.action_id)
    assert any(r.kind == "approval_decision" and r.data.get("reason") == note for r in records)
