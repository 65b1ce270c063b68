"""A turn's response body is encoded straight from the event models: the same bytes as dumping each
event to a dict and encoding the dicts with `JSONResponse`, for any text the agent may send."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from purser.agent.events import (
    ActionResult,
    AgentMessage,
    ApprovalPending,
    Citation,
    ConfirmationRequest,
    Handoff,
    QuickReply,
    Teammate,
)
from purser.web.conversations import events_body, serialize_events

texts = st.text(max_size=60)  # every code point: quotes, backslashes, control characters, emoji, U+2028


@given(text=texts, snippet=texts, amount=st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str))
def test_the_body_is_the_dicts_encoded_by_json_response(text: str, snippet: str, amount: str) -> None:
    events = [
        AgentMessage(
            text=text,
            citations=[Citation(document="billing.md", heading=snippet, snippet=snippet)],
            quick_replies=[QuickReply(label="Thanks", text="Thanks, that's all")],
            author=Teammate(name="Ana Lima", initials="AL"),
        ),
        AgentMessage(text=snippet),  # empty quick replies and no author: left out of both
        ConfirmationRequest(
            action_id="act_1", action="refund", summary=text, quote={"amount": amount, "nested": {"n": 3, "ok": True}}
        ),
        ActionResult(action_id="act_1", status="succeeded", summary=snippet),
        ApprovalPending(action_id="act_2", summary=text),
        Handoff(reason="customer_asked", summary=text),
    ]
    assert events_body(events) == JSONResponse({"events": serialize_events(events)}).body
    assert events_body([]) == JSONResponse({"events": []}).body
