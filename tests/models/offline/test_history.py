"""parse_history: a tool call the runtime asks to be made again is an invalid result, never customer text."""

from __future__ import annotations

import warnings

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from purser.models.offline.history import parse_history

SAID = "DE123456789 is not a valid VAT id. Call update_billing_details again with valid arguments."


def _history(answer: ToolReturnPart | RetryPromptPart) -> list[ModelMessage]:
    call = ToolCallPart(tool_name="update_billing_details", args={"vat_id": "DE123456789"}, tool_call_id="c1")
    return [
        ModelRequest(parts=[UserPromptPart(content="my VAT id is DE123456789")]),
        ModelResponse(parts=[call]),
        ModelRequest(parts=[answer]),
    ]


def _retry_prompt() -> RetryPromptPart:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the older form, still read from stored histories
        return RetryPromptPart(content=SAID, tool_name="update_billing_details", tool_call_id="c1")


@pytest.mark.parametrize(
    "answer",
    [
        ToolReturnPart(tool_name="update_billing_details", content=SAID, tool_call_id="c1", outcome="retried"),
        _retry_prompt(),
    ],
    ids=["retried-tool-return", "retry-prompt"],
)
def test_a_retried_call_is_an_invalid_result_without_the_instruction(answer: ToolReturnPart | RetryPromptPart) -> None:
    events = parse_history(_history(answer))
    (tool,) = [e.tool for e in events if e.kind == "tool"]
    assert tool is not None and tool.args == {"vat_id": "DE123456789"}
    assert tool.result == {
        "status": "invalid",
        "summary": "DE123456789 is not a valid VAT id.",
        "reason": "invalid_arguments",
    }


def test_a_plain_tool_return_is_read_as_its_result() -> None:
    answer = ToolReturnPart(tool_name="update_billing_details", content={"status": "pending"}, tool_call_id="c1")
    (tool,) = [e.tool for e in parse_history(_history(answer)) if e.kind == "tool"]
    assert tool is not None and tool.result == {"status": "pending"}


def test_validation_errors_as_a_list_are_summarised_without_internals() -> None:
    errors = [{"type": "string_too_short", "loc": ["vat_id"], "msg": "String should have at least 4 characters"}]
    answer = ToolReturnPart(tool_name="update_billing_details", content=errors, tool_call_id="c1", outcome="retried")
    (tool,) = [e.tool for e in parse_history(_history(answer)) if e.kind == "tool"]
    assert tool is not None and tool.result is not None
    assert tool.result["status"] == "invalid" and "string_too_short" not in tool.result["summary"]
