"""The gateway end to end over the sandbox: quote → confirm → approve → execute → audit."""

from __future__ import annotations

from tests.actions.conftest import Env


def test_lookup_account_json(env: Env) -> None:
    out = env.gateway.propose(env.scope("ana"), "lookup_account", {})
    assert out.status == "succeeded" and out.result is not None
    acct = out.result
    assert set(acct) == {
        "now",
        "customer",
        "subscription",
        "next_invoice",
        "payment_method",
        "past_due",
        "charges",
        "invoices",
        "refunds",
        "plans",
    }
    assert acct["now"] == "2026-11-16T00:00:00Z"
    assert acct["customer"]["id"] == "ana"
    assert acct["subscription"]["plan"] == {
        "id": "pro-monthly",
        "name": "Pro",
        "amount": "20.00",
        "currency": "usd",
        "interval": "month",
        "per_seat": False,
    }
    assert acct["payment_method"]["exp"] == "2028-04" and acct["payment_method"]["expired"] is False
    first = acct["charges"][0]
    assert set(first) == {
        "id",
        "amount",
        "currency",
        "created",
        "invoice",
        "invoice_number",
        "status",
        "refunded",
        "refundable",
        "disputed",
    }
    assert all(c["id"].startswith("ch_ana") for c in acct["charges"])


def test_duplicate_refund_runs_after_confirmation(env: Env) -> None:
    scope = env.scope("ana")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_ana_11b", "amount": None, "reason": "duplicate"})
    assert prop.status == "needs_confirmation", prop
    assert prop.quote is not None and prop.quote["amount"] == "20.00" and prop.quote["duplicate"] is True
    assert env.processor.snapshot(scope.customer_id).refunds == ()
    done = env.gateway.confirm(scope, prop.action_id, "yes")
    assert done.status == "succeeded", done
    refunds = env.processor.snapshot(scope.customer_id).refunds
    assert [(r.charge_id, r.amount.amount_str()) for r in refunds] == [("ch_ana_11b", "20.00")]
    again = env.gateway.confirm(scope, prop.action_id, "yes")
    assert again.status == "refused" and again.reason == "already_decided"
    assert len(env.processor.snapshot(scope.customer_id).refunds) == 1
    kinds = [r.kind for r in env.audit.records(action_id=prop.action_id)]
    assert kinds[:2] == ["proposal", "guard_decision"] and "confirmation" in kinds and "execution" in kinds
    assert kinds.count("result") == 1
    assert env.audit.verify().ok


def test_old_charge_needs_approval_and_deny_moves_nothing(env: Env) -> None:
    scope = env.scope("bob")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_08", "amount": None, "reason": None})
    assert prop.status == "needs_confirmation" and prop.reason == "window"
    pending = env.gateway.confirm(scope, prop.action_id, "yes")
    assert pending.status == "pending_approval" and pending.approval_id
    [apr] = env.gateway.approvals(status="pending")
    assert (apr.action, apr.amount, apr.reason, apr.conversation_id) == ("refund", "20.00", "window", "conv_1")
    denied = env.gateway.decide_approval(apr.id, approve=False, approver="sam", reason="too old")
    assert denied.status == "denied"
    assert env.processor.snapshot(scope.customer_id).refunds == ()
    twice = env.gateway.decide_approval(apr.id, approve=True, approver="sam", reason="changed my mind")
    assert twice.status == "refused" and twice.reason == "already_decided"
    assert env.processor.snapshot(scope.customer_id).refunds == ()


def test_approved_refund_executes_once(env: Env) -> None:
    scope = env.scope("bob")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_08", "amount": "5.00", "reason": None})
    pending = env.gateway.confirm(scope, prop.action_id, "yes")
    assert pending.approval_id is not None
    done = env.gateway.decide_approval(pending.approval_id, approve=True, approver="sam", reason="goodwill")
    assert done.status == "succeeded", done
    assert [r.amount.amount_str() for r in env.processor.snapshot(scope.customer_id).refunds] == ["5.00"]
    assert env.gateway.approval(pending.approval_id).status == "approved"  # type: ignore[union-attr]


def test_refund_hostile_arguments(env: Env) -> None:
    scope = env.scope("bob")
    cases = {
        "ch_ana_11": "not_yours",
        "ch_nope": "not_yours",
    }
    for charge, reason in cases.items():
        out = env.gateway.propose(scope, "refund", {"charge_id": charge, "amount": None, "reason": None})
        assert (out.status, out.reason) == ("refused", reason)
        assert "ana" not in out.summary.replace(charge, "")
    for amount in ("-5.00", "0", "1e3", "20.001", "abc", "99999999999999999999.00"):
        out = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": amount, "reason": None})
        assert out.status in ("invalid", "refused"), (amount, out)
    out = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "customer_id": "ana"})
    assert out.status == "invalid" and out.reason == "invalid_arguments"
    assert env.processor.snapshot(scope.customer_id).refunds == ()


def test_confirm_of_another_conversation_or_unknown_is_refused(env: Env) -> None:
    mine = env.scope("bob", "conv_bob")
    prop = env.gateway.propose(mine, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})
    thief = env.scope("ana", "conv_ana")
    assert env.gateway.confirm(thief, prop.action_id, "yes").reason == "not_yours"
    same_customer_other_conv = env.scope("bob", "conv_other")
    assert env.gateway.confirm(same_customer_other_conv, prop.action_id, "yes").reason == "not_yours"
    assert env.gateway.confirm(mine, "act_unknown", "yes").reason == "unknown_action"
    assert env.processor.snapshot(mine.customer_id).refunds == ()
    assert env.gateway.confirm(mine, prop.action_id, "no").status == "declined"
    assert env.gateway.confirm(mine, prop.action_id, "yes").reason == "already_decided"
    assert env.processor.snapshot(mine.customer_id).refunds == ()


def test_count_limit_then_over_limit_refuse(env: Env) -> None:
    env.gateway.policy = env.gateway.policy.merged({"refunds": {"over_limit": "refuse"}})
    scope = env.scope("bob")
    _, first = env.propose_confirm(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})
    assert first is not None and first.status == "succeeded"
    second = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})
    assert (second.status, second.reason) == ("refused", "count")


def test_quote_changed_blocks_execution(env: Env) -> None:
    scope = env.scope("bob")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": None, "reason": None})
    assert prop.quote is not None and prop.quote["amount"] == "20.00"
    env.processor.refund(
        env.processor.snapshot(scope.customer_id).charges[0].id,
        _usd("3.00"),
        reason=None,
        metadata={},
        idempotency_key="outside",
    )
    out = env.gateway.confirm(scope, prop.action_id, "yes")
    assert (out.status, out.reason) == ("refused", "quote_changed")
    assert out.quote is not None and out.quote["amount"] == "17.00"
    assert len(env.processor.snapshot(scope.customer_id).refunds) == 1


def test_disputed_charge_escalates(env: Env) -> None:
    from tests.actions.conftest import customer, make_env, world

    e = make_env(world(customer("dee", disputed="ch_dee_11")))
    out = e.gateway.propose(e.scope("dee"), "refund", {"charge_id": "ch_dee_11", "amount": None, "reason": None})
    assert (out.status, out.reason, out.handoff_reason) == ("escalated", "disputed", "dispute")
    assert out.handoff_summary and "Dee" in out.handoff_summary
    e2 = make_env(world(customer("dee", disputed="ch_dee_11")), policy={"refunds": {"disputed": "refuse"}})
    out2 = e2.gateway.propose(e2.scope("dee"), "refund", {"charge_id": "ch_dee_11", "amount": None, "reason": None})
    assert (out2.status, out2.reason) == ("refused", "disputed")


def _usd(text: str):  # type: ignore[no-untyped-def]
    from purser.money import Money

    return Money.parse(text, "usd")


def test_fraudulent_refund_escalates(env: Env) -> None:
    out = env.gateway.propose(env.scope("bob"), "refund", {"charge_id": "ch_bob_11", "reason": "fraudulent"})
    assert (out.status, out.handoff_reason) == ("escalated", "fraud")
    assert env.processor.snapshot(env.scope("bob").customer_id).refunds == ()


def test_a_quote_that_ran_nothing_hands_its_account_read_on_once(env: Env) -> None:
    scope = env.scope("bob")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_08", "amount": None, "reason": None})
    pending = env.gateway.confirm(scope, prop.action_id, "yes")
    assert pending.status == "pending_approval"
    assert env.gateway.take_quoted_snapshot("act_other") is None  # another action's: dropped
    env.gateway.confirm(scope, prop.action_id, "yes")  # already answered: nothing read again
    assert env.gateway.take_quoted_snapshot(prop.action_id) is None
    again = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_08", "amount": "3.00", "reason": None})
    env.gateway.confirm(scope, again.action_id, "yes")
    quoted = env.gateway.take_quoted_snapshot(again.action_id)
    assert quoted is not None and quoted == env.processor.snapshot(scope.customer_id)  # the account as it is
    assert env.gateway.take_quoted_snapshot(again.action_id) is None  # taken once

    # Approved: the refund executes, so the read before it is stale and is not handed on.
    assert again.action_id and pending.approval_id
    done = env.gateway.decide_approval(pending.approval_id, approve=True, approver="sam", reason="ok")
    assert done.status == "succeeded"
    assert env.gateway.take_quoted_snapshot(prop.action_id) is None


def test_a_denial_commits_with_the_decision(env: Env) -> None:
    scope = env.scope("bob")
    prop = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_08", "amount": None, "reason": None})
    pending = env.gateway.confirm(scope, prop.action_id, "yes")
    assert pending.approval_id is not None
    denied = env.gateway.decide_approval(pending.approval_id, approve=False, approver="sam", reason="internal note")
    assert (denied.status, denied.reason, denied.approval_id) == ("denied", "denied", pending.approval_id)
    assert "internal note" not in denied.summary and denied.quote == pending.quote
    kinds = [r.kind for r in env.audit.records(action_id=prop.action_id)]
    assert kinds[-2:] == ["approval_decision", "result"]
    assert env.gateway.actions("conv_1")[-1]["status"] == "denied"
    assert env.audit.verify().ok
