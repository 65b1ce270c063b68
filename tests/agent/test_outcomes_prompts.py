"""Outcome → event mapping, quote amounts, tiers, the policy summary and live delivery."""

from __future__ import annotations

from decimal import Decimal

from purser.actions.outcome import Outcome
from purser.agent.events import AgentEvent, AgentMessage
from purser.agent.live import LiveHub
from purser.agent.outcomes import SortedEvents, customer_tier, handoff_event, outcome_events, quote_amounts
from purser.agent.prompts import SYSTEM_PROMPT, control_message, policy_summary
from purser.policy.schema import Policy


def _o(status: str, **kw: object) -> Outcome:
    return Outcome("act_1", kw.pop("action", "refund"), status, "summary", **kw)  # type: ignore[arg-type]


def test_outcome_events() -> None:
    assert [e.type for e in outcome_events(_o("needs_confirmation", quote={"amount": "5.00"}), "money")] == [
        "confirmation_request"
    ]
    assert [e.type for e in outcome_events(_o("pending_approval", approval_id="apr_1"), "money")] == [
        "approval_pending"
    ]
    assert outcome_events(_o("succeeded", action="lookup_account"), "read") == []
    (done,) = outcome_events(_o("succeeded"), "money")
    assert done.type == "action_result" and done.status == "succeeded"
    assert [e.status for e in outcome_events(_o("denied"), "money")] == ["refused"]  # type: ignore[union-attr]
    assert [e.status for e in outcome_events(_o("failed"), "money")] == ["failed"]  # type: ignore[union-attr]
    assert outcome_events(_o("invalid"), "money") == [] and outcome_events(_o("declined"), "money") == []
    h = handoff_event(_o("escalated", handoff_reason="dispute", result={"handoff": {"summary": "for the human"}}))
    assert (h.reason, h.summary) == ("dispute", "for the human")


def test_sorted_events_dedupe_confirmations() -> None:
    sorted_events = SortedEvents()
    ask = outcome_events(_o("needs_confirmation"), "money")
    sorted_events.add(ask)
    sorted_events.add(ask)
    sorted_events.add(outcome_events(_o("failed"), "money"))
    assert len(sorted_events.asks) == 1 and len(sorted_events.results) == 1


def test_quote_amounts_and_tier() -> None:
    quote = {"amount": "20.00", "currency": "usd", "lines": [{"amount": "-5.00"}], "amount_due_now": "15.00", "x": "a"}
    assert sorted(quote_amounts(quote)) == [Decimal("5.00"), Decimal("15.00"), Decimal("20.00")]
    account = {"subscription": {"plan": {"id": "enterprise-yearly", "name": "Enterprise"}}}
    assert customer_tier(account, ("enterprise",)) == "enterprise"
    assert customer_tier({"subscription": {"plan": {"id": "pro-monthly"}}}, ("enterprise",)) == "pro-monthly"
    assert customer_tier(None, ()) is None and customer_tier({"subscription": None}, ()) is None


def test_prompts() -> None:
    policy = Policy.from_mapping({"actions": {"cancel": "off"}, "refunds": {"max_amount": "50.00"}})
    summary = policy_summary(policy)
    assert "50.00 USD" in summary and "Not available here: cancel." in summary
    assert "one billing cycle" in policy_summary(Policy())
    assert len(SYSTEM_PROMPT) < 2000
    assert control_message("[approval]", {"a": 1, "b": "é"}) == '[approval] {"a":1,"b":"é"}'


def test_live_hub_isolates_failing_subscribers() -> None:
    hub = LiveHub()
    got: list[list[AgentEvent]] = []

    def broken(_cid: str, _events: list[AgentEvent]) -> None:
        raise RuntimeError("listener bug")

    hub.subscribe("c1", broken)
    unsubscribe = hub.subscribe("c1", lambda _cid, events: got.append(events))
    hub.publish("c1", [AgentMessage(text="hi")])
    hub.publish("c2", [AgentMessage(text="other")])
    unsubscribe()
    hub.publish("c1", [AgentMessage(text="after")])
    assert [[e.text for e in batch] for batch in got] == [["hi"]]  # type: ignore[union-attr]
