"""`PURSER_MODEL=offline` (the default): the runtime runs the offline model with no keys and no network."""

from __future__ import annotations

from collections.abc import Callable

from purser.agent.events import CustomerConfirm, CustomerMessage
from purser.app import Container
from purser.config import Settings
from purser.domain import CustomerId
from purser.models.registry import OFFLINE_ENTRY


def test_offline_duplicate_refund(make_world: Callable[..., Container]) -> None:
    c = make_world(Settings())
    rt = c.runtime
    assert rt.models.is_offline and rt.models.default == OFFLINE_ENTRY
    cid = rt.start("cus_ana")
    events = rt.handle(cid, CustomerMessage(text="Hi, I was charged twice on November 1st?"))
    assert events[-1].type == "message" and "duplicate" in events[-1].text
    assert "ch_ana" not in events[-1].text  # the customer reads the day and time, never the charge id (issue 17)
    events = rt.handle(cid, CustomerMessage(text="Yes, please refund the extra one."))
    asks = [e for e in events if e.type == "confirmation_request"]
    assert len(asks) == 1 and asks[0].action == "refund"
    events = rt.handle(cid, CustomerConfirm(action_id=asks[0].action_id, decision="yes"))
    assert any(e.type == "action_result" and e.status == "succeeded" for e in events)
    refunds = c.processor.snapshot(CustomerId("cus_ana")).refunds
    assert [(r.charge_id, r.amount.amount_str()) for r in refunds] == [("ch_ana_11b", "20.00")]
    usage = rt.usage(cid)
    assert usage.cost_usd == "0" and set(usage.per_model) == {"offline"}
