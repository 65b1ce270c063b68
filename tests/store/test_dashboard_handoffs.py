"""The dashboard's handoff inbox lists every escalation: the handoff tool's and the guard's own."""

from __future__ import annotations

from tests.actions.conftest import customer, make_env, world

from purser.store.dashboard import SqlDashboard


def test_a_guard_escalation_reaches_the_inbox() -> None:
    env = make_env(world(customer("ana", disputed="ch_ana_10"), customer("bob")))
    disputed = env.gateway.propose(
        env.scope("ana"), "refund", {"charge_id": "ch_ana_10", "amount": None, "reason": None}
    )
    assert disputed.status == "escalated" and disputed.handoff_reason == "dispute"
    env.gateway.escalate(env.scope("bob", conversation="conv_2"), "legal_threat", "Bob mentioned his lawyer.")
    inbox = SqlDashboard(env.db).handoffs(limit=10)
    assert {(h.conversation_id, h.reason) for h in inbox} == {("conv_1", "dispute"), ("conv_2", "legal_threat")}
    by_conversation = {h.conversation_id: h for h in inbox}
    assert by_conversation["conv_1"].customer_id == "ana" and by_conversation["conv_1"].summary
