"""Every write action through the gateway over the sandbox."""

from __future__ import annotations

from tests.actions.conftest import Env, customer, make_env, world

from purser.domain import SubscriptionStatus


def test_upgrade_now_prorated_charges_the_quote(env: Env) -> None:
    scope = env.scope("bob")
    prop, done = env.propose_confirm(scope, "change_plan", {"plan": "business"})
    assert prop.status == "needs_confirmation" and prop.quote is not None
    assert prop.quote["timing"] == "now_prorated" and prop.quote["amount_due_now"] == "15.00", prop.quote
    assert done is not None and done.status == "succeeded", done
    snap = env.processor.snapshot(scope.customer_id)
    assert snap.subscription is not None and snap.subscription.plan_id == "business-monthly"
    assert snap.charges[0].amount.amount_str() == "15.00"


def test_downgrade_is_scheduled_for_period_end(env: Env) -> None:
    scope = env.scope("bob")
    prop, done = env.propose_confirm(scope, "change_plan", {"plan": "BASIC"})
    assert prop.quote is not None and prop.quote["timing"] == "period_end"
    assert done is not None and done.status == "succeeded", done
    sub = env.processor.snapshot(scope.customer_id).subscription
    assert sub is not None and sub.plan_id == "pro-monthly" and sub.scheduled_plan_id == "basic-monthly"


def test_plan_resolution_errors(env: Env) -> None:
    scope = env.scope("bob")
    assert env.gateway.propose(scope, "change_plan", {"plan": "platinum"}).reason == "unknown_plan"
    assert env.gateway.propose(scope, "change_plan", {"plan": "pro"}).reason == "no_change"
    yearly = env.gateway.propose(scope, "preview_change", {"plan": "pro-yearly", "quantity": None})
    assert yearly.status == "succeeded" and yearly.result is not None and yearly.result["to_plan"]["id"] == "pro-yearly"


def test_seat_rules(env: Env) -> None:
    scope = env.scope("tea")
    assert env.gateway.propose(scope, "change_seats", {"quantity": 0}).reason == "invalid_quantity"
    assert env.gateway.propose(scope, "change_seats", {"quantity": -3}).status == "invalid"
    assert env.gateway.propose(scope, "change_seats", {"quantity": 5}).reason == "no_change"
    over = env.gateway.propose(scope, "change_seats", {"quantity": 500})
    assert (over.status, over.reason) == ("needs_confirmation", "max_seat_change")
    assert env.gateway.propose(env.scope("bob"), "change_seats", {"quantity": 3}).reason == "not_per_seat"
    prop, done = env.propose_confirm(scope, "change_seats", {"quantity": 7})
    assert prop.quote is not None and prop.quote["timing"] == "now_prorated"
    assert done is not None and done.status == "succeeded", done
    sub = env.processor.snapshot(scope.customer_id).subscription
    assert sub is not None and sub.quantity == 7


def test_pause_limits_and_resume(env: Env) -> None:
    scope = env.scope("bob")
    assert env.gateway.propose(scope, "pause", {"months": 0}).reason == "pause_months"
    assert env.gateway.propose(scope, "pause", {"months": 4}).reason == "pause_months"
    prop, done = env.propose_confirm(scope, "pause", {"months": 2})
    assert prop.quote is not None and prop.quote["resumes_at"] == "2027-02-01T00:00:00Z"
    assert done is not None and done.status == "succeeded", done
    sub = env.processor.snapshot(scope.customer_id).subscription
    assert sub is not None and sub.resumes_at is not None and sub.resumes_at.isoformat().startswith("2027-02-01")
    assert env.gateway.propose(scope, "pause", {"months": 1}).reason == "already_paused"
    _, resumed = env.propose_confirm(scope, "resume", {})
    assert resumed is not None and resumed.status == "succeeded", resumed
    sub = env.processor.snapshot(scope.customer_id).subscription
    assert sub is not None and sub.status is SubscriptionStatus.ACTIVE and sub.resumes_at is None


def test_cancel_save_offer_once_then_period_end(env: Env) -> None:
    scope = env.scope("bob")
    offer = env.gateway.propose(scope, "cancel", {"reason": None})
    assert (offer.status, offer.reason) == ("refused", "save_offer") and "pause" in offer.summary
    prop, done = env.propose_confirm(scope, "cancel", {"reason": "too expensive"})
    assert prop.status == "needs_confirmation" and prop.quote is not None
    assert prop.quote["effective_at"] == "2026-12-01T00:00:00Z"
    assert done is not None and done.status == "succeeded", done
    snap = env.processor.snapshot(scope.customer_id)
    assert snap.subscription is not None and snap.subscription.cancel_at_period_end
    assert any(e.kind == "cancellation" for e in snap.emails)
    other = env.gateway.propose(env.scope("tea", "conv_2"), "cancel", {"reason": None})
    assert other.reason == "save_offer"


def test_cancel_without_save_offer_policy() -> None:
    e = make_env(world(customer("bob")), policy={"cancellation": {"save_offer": "none", "effective": "now"}})
    prop, done = e.propose_confirm(e.scope("bob"), "cancel", {"reason": None})
    assert prop.status == "needs_confirmation" and done is not None and done.status == "succeeded", done
    sub = e.processor.snapshot(e.scope("bob").customer_id).subscription
    assert sub is not None and sub.status is SubscriptionStatus.CANCELED


def test_send_invoice_by_number_and_billing_details(env: Env) -> None:
    scope = env.scope("bob")
    prop, done = env.propose_confirm(scope, "send_invoice", {"invoice": "bob-0005", "kind": "invoice"})
    assert prop.quote is not None and prop.quote["invoice"] == "in_bob_10"
    assert done is not None and done.status == "succeeded", done
    assert any(e.invoice_id == "in_bob_10" for e in env.processor.snapshot(scope.customer_id).emails)
    assert env.gateway.propose(scope, "send_invoice", {"invoice": "in_ana_10", "kind": "invoice"}).reason == "not_yours"
    bad = env.gateway.propose(scope, "update_billing_details", {"vat_id": "DE000000000"})
    assert (bad.status, bad.reason) == ("invalid", "invalid_vat_id")
    _, ok = env.propose_confirm(
        scope, "update_billing_details", {"vat_id": "DE136695976", "address": {"country": "de"}}
    )
    assert ok is not None and ok.status == "succeeded", ok
    cust = env.processor.snapshot(scope.customer_id).customer
    assert cust.vat_id == "DE136695976" and cust.address.country == "DE"


def test_payment_link_and_retry(env: Env) -> None:
    scope = env.scope("bob")
    _, link = env.propose_confirm(scope, "payment_method_link", {})
    assert link is not None and link.status == "succeeded" and link.result and link.result["url"].startswith("http")
    nothing = env.gateway.propose(scope, "retry_payment", {"invoice_id": None})
    assert nothing.reason == "nothing_due"


def test_disabled_action_and_unknown_action(env: Env) -> None:
    env.gateway.policy = env.gateway.policy.merged({"actions": {"refund": "off"}})
    scope = env.scope("bob")
    assert env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11"}).reason == "disabled"
    assert "refund" not in [t.name for t in env.gateway.tools()]
    assert env.gateway.propose(scope, "drop_tables", {}).reason == "unknown_action"


def test_handoff_summary_and_repeated_failure(env: Env) -> None:
    scope = env.scope("bob")
    env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "5.00", "reason": None})
    out = env.gateway.propose(scope, "handoff", {"reason": "legal_threat", "summary": "Customer threatens to sue."})
    assert (out.status, out.handoff_reason) == ("escalated", "legal_threat")
    text = out.handoff_summary or ""
    assert "bob@example.com" in text and "refund 5.00 USD" in text and "sue" in text and "Left to do" in text
    for _ in range(2):
        env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "abc"})
    third = env.gateway.propose(scope, "refund", {"charge_id": "ch_bob_11", "amount": "xyz"})
    assert third.handoff_reason == "repeated_failure"


def test_receipt_is_emailed_as_a_receipt(env: Env) -> None:
    scope = env.scope("bob")
    _, done = env.propose_confirm(scope, "send_invoice", {"invoice": "in_bob_11", "kind": "receipt"})
    assert done is not None and done.status == "succeeded", done
    emails = env.processor.snapshot(scope.customer_id).emails
    assert [(e.kind, e.invoice_id) for e in emails] == [("receipt", "in_bob_11")]
    assert "20.00" in emails[0].body


def test_resume_withdraws_a_cancellation_scheduled_for_the_period_end(env: Env) -> None:
    scope = env.scope("bob")
    assert env.gateway.propose(scope, "resume", {}).reason == "not_paused"  # active, nothing scheduled
    env.gateway.propose(scope, "cancel", {"reason": None})  # the save offer, once
    _, cancelled = env.propose_confirm(scope, "cancel", {"reason": "closing down"})
    assert cancelled is not None and cancelled.status == "succeeded", cancelled
    prop, done = env.propose_confirm(scope, "resume", {})
    assert prop.quote is not None and prop.quote["cancellation_withdrawn"] is True
    assert prop.quote["renews_at"] == "2026-12-01T00:00:00Z" and "withdrawn" in prop.summary
    assert done is not None and done.status == "succeeded", done
    assert "no longer set to cancel" in done.summary
    sub = env.processor.snapshot(scope.customer_id).subscription
    assert sub is not None and not sub.cancel_at_period_end and sub.status is SubscriptionStatus.ACTIVE
    assert env.gateway.propose(scope, "resume", {}).reason == "not_paused"  # nothing left to undo
