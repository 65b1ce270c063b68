"""The dashboard's shadow-mode figures: proposals per action, accepted as proposed, the would-be automation rate."""

from __future__ import annotations

from pathlib import Path

from purser.agent.events import ConfirmationRequest, CustomerConfirm, CustomerMessage
from purser.policy.schema import Policy
from purser.web.metrics import shadow_metrics

from .conftest import make_container


def test_shadow_figures_follow_the_approvals(tmp_path: Path) -> None:
    container = make_container(tmp_path, policy=Policy.from_mapping({"mode": "shadow"}))
    try:
        assert shadow_metrics(container)["proposals"] == 0
        runtime = container.runtime
        cid = runtime.start("cus_ana")
        card = next(
            e
            for e in runtime.handle(cid, CustomerMessage(text="please refund my last charge"))
            if isinstance(e, ConfirmationRequest)
        )
        runtime.handle(cid, CustomerConfirm(action_id=card.action_id, decision="yes"))
        figures = shadow_metrics(container)
        assert figures["mode"] == "shadow" and "refund" in figures["shadowed_actions"]
        assert figures["by_action"] == [
            {"action": "refund", "proposals": 1, "approved": 0, "denied": 0, "pending": 1, "accepted_percent": "0"}
        ]
        [request] = container.gateway.approvals(status="pending")
        runtime.decide_approval(request.id, approve=True, approver="sam", reason="as proposed")
        figures = shadow_metrics(container)
        assert figures["by_action"][0]["approved"] == 1 and figures["by_action"][0]["accepted_percent"] == "100.0"
        assert figures["would_be_automation_percent"] == "100.0"
    finally:
        container.close()
