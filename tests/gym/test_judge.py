"""The judge: each expectation key against hand-made final states."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime

from purser.gym import Scenario
from purser.gym.judge import Conversation, RaisedApproval, judge
from purser.gym.state import ChargeRow, EmailRow, RefundRow, WorldState
from purser.money import Money

T = datetime(2026, 11, 16, tzinfo=UTC)


def _before() -> WorldState:
    s = WorldState()
    s.charges["ch_ana_11"] = ChargeRow("ch_ana_11", "cus_ana", "in_ana_11", Money(2000, "usd"), "succeeded", False, T)
    s.charges["ch_ana_11b"] = ChargeRow("ch_ana_11b", "cus_ana", "in_ana_11", Money(2000, "usd"), "succeeded", False, T)
    s.invoices["in_open"] = {"customer": "cus_ana", "number": "X", "status": "open", "total": Money(2000, "usd")}
    s.subscriptions["sub_ana"] = {
        "customer": "cus_ana",
        "plan": "pro-monthly",
        "quantity": 1,
        "status": "active",
        "cancel_at_period_end": False,
        "resumes_at": None,
        "scheduled_plan": None,
        "scheduled_quantity": None,
    }
    s.billing["cus_ana"] = {"name": "Ana", "email": "ana@example.com", "vat_id": None, "address.country": "PT"}
    return s


def _ok(scenario: Scenario, after: WorldState, conv: Conversation | None = None) -> list[str]:
    return judge(scenario, _before(), after, conv or Conversation())


def test_refunds_exact_in_any_order_and_says(scenario_with: Callable[..., Scenario]) -> None:
    sc = scenario_with()
    after = _before()
    assert any(f.startswith("refunds:") for f in _ok(sc, after))
    after.refunds["re_1"] = RefundRow("re_1", "ch_ana_11b", "cus_ana", Money(2000, "usd"), T, "duplicate")
    conv = Conversation()
    conv.record_agent([{"type": "message", "text": "Refunded $20.00."}])
    assert _ok(sc, after, conv) == []
    after.refunds["re_2"] = RefundRow("re_2", "ch_ana_11", "cus_ana", Money(100, "usd"), T, None)
    assert any(f.startswith("refunds: expected") for f in _ok(sc, after, conv))


def test_no_other_writes_catches_unexpected_changes(scenario_with: Callable[..., Scenario]) -> None:
    sc = scenario_with(expect={"handoff": False})
    after = _before()
    after.refunds["re_1"] = RefundRow("re_1", "ch_ana_11", "cus_ana", Money(500, "usd"), T, None)
    after.charges["ch_new"] = ChargeRow("ch_new", "cus_ana", None, Money(700, "usd"), "succeeded", False, T)
    after.charges["ch_fail"] = ChargeRow("ch_fail", "cus_ana", None, Money(700, "usd"), "failed", False, T)
    after.invoices["in_open"]["status"] = "paid"
    after.subscriptions["sub_ana"]["plan"] = "basic-monthly"
    after.billing["cus_ana"]["vat_id"] = "DE136695976"
    text = "\n".join(_ok(sc, after))
    for needle in ("refund of 5.00", "charge of 7.00", "in_open went from open to paid", "plan changed", "vat_id"):
        assert needle in text
    assert "charge of 7.00" in text and text.count("charge of 7.00") == 1  # failed attempts do not count
    sc = scenario_with(expect={"handoff": False, "no_other_writes": False})
    assert _ok(sc, after) == []


def test_subscription_billing_emails_and_invoices(scenario_with: Callable[..., Scenario]) -> None:
    sc = scenario_with(
        expect={
            "subscription": {"status": "paused", "resumes_at": "2027-03-01", "scheduled_plan": None},
            "billing": {"vat_id": "DE 136 695 976", "address.country": "de"},
            "emails": [{"kind": "invoice", "invoice": "in_ana_10"}],
            "invoices_paid": ["in_ana_11"],
        }
    )
    after = _before()
    after.subscriptions["sub_ana"].update(status="paused", resumes_at=date(2027, 3, 1))
    after.billing["cus_ana"].update(vat_id="DE136695976", **{"address.country": "DE"})
    after.emails["em_1"] = EmailRow("em_1", "cus_ana", "invoice", "in_ana_10")
    before = _before()
    before.invoices["in_ana_11"] = {"customer": "cus_ana", "number": "N", "status": "open", "total": Money(1, "usd")}
    after.invoices["in_ana_11"] = {"customer": "cus_ana", "number": "N", "status": "paid", "total": Money(1, "usd")}
    assert judge(sc, before, after, Conversation()) == []
    after.subscriptions["sub_ana"]["resumes_at"] = date(2027, 4, 1)
    after.emails.clear()
    fails = judge(sc, before, after, Conversation())
    assert any("subscription.resumes_at: expected 2027-03-01, got 2027-04-01" in f for f in fails)
    assert any(f.startswith("emails:") for f in fails)


def test_approvals_handoff_and_phrases(scenario_with: Callable[..., Scenario]) -> None:
    sc = scenario_with(
        expect={
            "approvals": [{"action": "refund", "amount": "20.00"}],
            "handoff": "legal_threat",
            "says": [["teammate", "colleague"]],
            "never_says": ["guaranteed"],
            "refunds": [],
        }
    )
    conv = Conversation()
    conv.approvals = [RaisedApproval("refund", Money(2000, "usd"), "denied")]
    conv.record_agent([{"type": "handoff", "reason": "legal_threat", "summary": "s"}])
    conv.record_agent([{"type": "approval_pending", "action_id": "a", "summary": "A colleague is reviewing it."}])
    assert _ok(sc, _before(), conv) == []
    conv.record_agent([{"type": "message", "text": "It is GUARANTEED."}])
    conv.approvals.append(RaisedApproval("refund", None))
    fails = _ok(sc, _before(), conv)
    assert any(f.startswith("never_says") for f in fails)
    assert any(f.startswith("approvals:") for f in fails)
    no_handoff = copy.deepcopy(conv)
    no_handoff.agent_events = [e for e in conv.agent_events if e["type"] != "handoff"]
    assert any(f.startswith("handoff: expected reason legal_threat") for f in _ok(sc, _before(), no_handoff))


def test_an_expected_address_field_expects_the_whole_new_address(scenario_with: Callable[..., Scenario]) -> None:
    """A new address replaces the old one: its other lines changing with the expected one are no other write."""
    sc = scenario_with(expect={"handoff": False, "billing": {"address.country": "DE"}})
    after = _before()
    after.billing["cus_ana"].update(
        {"address.country": "DE", "address.line1": "Friedrichstraße 43", "address.city": "Berlin"}
    )
    assert _ok(sc, after) == []
    after.billing["cus_ana"]["vat_id"] = "DE136695976"  # not an address field: still another write
    assert [f for f in _ok(sc, after) if "no_other_writes" in f] == [
        "no_other_writes: billing vat_id of cus_ana changed from null to DE136695976"
    ]
    other = _before()
    other.billing["cus_bob"] = {"address.city": "Lisbon"}
    after = copy.deepcopy(other)
    after.billing["cus_bob"]["address.city"] = "Porto"  # another customer's address: never expected
    assert any("billing address.city of cus_bob" in f for f in judge(sc, other, after, Conversation()))
    sc = scenario_with(expect={"handoff": False, "billing": {"vat_id": "DE136695976"}})
    after = _before()
    after.billing["cus_ana"].update({"vat_id": "DE136695976", "address.country": "DE"})
    assert any("billing address.country of cus_ana" in f for f in _ok(sc, after))  # no address expected


def _overdue() -> WorldState:
    before = _before()
    before.subscriptions["sub_ana"]["status"] = "past_due"
    before.invoices["in_ana_11"] = {"customer": "cus_ana", "number": "N", "status": "open", "total": Money(1, "usd")}
    return before


def test_an_expected_paid_invoice_expects_the_subscription_active_again(
    scenario_with: Callable[..., Scenario],
) -> None:
    sc = scenario_with(expect={"handoff": False, "invoices_paid": ["in_ana_11"]})
    before = _overdue()
    after = copy.deepcopy(before)
    after.invoices["in_ana_11"]["status"] = "paid"
    after.subscriptions["sub_ana"]["status"] = "active"
    assert judge(sc, before, after, Conversation()) == []
    for status in ("unpaid",):
        before.subscriptions["sub_ana"]["status"] = status
        assert judge(sc, before, after, Conversation()) == []
    after.subscriptions["sub_ana"]["status"] = "canceled"  # not the recovery of a paid invoice
    assert any("status changed from unpaid to canceled" in f for f in judge(sc, before, after, Conversation()))
    after = copy.deepcopy(_overdue())
    after.subscriptions["sub_ana"]["status"] = "active"  # active, but the invoice is still open
    assert any("status changed from past_due to active" in f for f in judge(sc, _overdue(), after, Conversation()))
    sc = scenario_with(expect={"handoff": False})
    after.invoices["in_ana_11"]["status"] = "paid"  # paid without the scenario expecting it: both are writes
    text = "\n".join(judge(sc, _overdue(), after, Conversation()))
    assert "in_ana_11 went from open to paid" in text and "status changed from past_due to active" in text
