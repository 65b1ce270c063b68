"""The offline model's own tool loop: the same turn as pydantic-ai's agent graph, without the graph.

The offline model (`purser.models.offline.OfflineModel`) is a pure function of the message
history, so the agent graph's machinery (tasks, hooks, capabilities, instrumentation) is pure
overhead for it. This loop builds the same `ModelMessage`s pydantic-ai would — the user prompt
request with the turn's instructions, each response, each tool result as a `ToolReturnPart` (or
pydantic-ai's own retried return for a `ModelRetry`) — so the history stays resumable by a real
LLM, and runs the tools through the very functions the pydantic-ai tools call (`agent.tools`).
The runtime's safety rules apply before every model request exactly as in the graph path:
consecutive failures, the step limit and the cost cap; a live listener gets the same
`MessageDelta`s as from a streamed request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic_ai import ModelRetry
from pydantic_ai._output import build_retried_tool_return
from pydantic_ai._uuid import uuid7
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from purser.agent.tools import ToolFunction, TurnState

if TYPE_CHECKING:
    from purser.agent.streaming import DeltaRelay
    from purser.models.offline import OfflineModel

__all__ = ["LoopLimits", "LoopResult", "run_offline"]

EMPTY_RESPONSE_RETRY = "Please return text or call a tool."
# The tool sets seen (a handful: the runtime's tiers), so every turn hands the model the same object.
_TOOL_SETS: dict[frozenset[str], frozenset[str]] = {}


@dataclass(frozen=True)
class LoopLimits:
    """The runtime's safety rules for one turn."""

    max_steps: int
    max_failures: int
    tool_retries: int
    cost_cap: Decimal
    spent: Decimal


@dataclass(frozen=True)
class LoopResult:
    """What a run produced: (final text, new messages, stop reason, consecutive failures)."""

    text: str | None
    messages: list[ModelMessage]
    stop: str | None
    failures: int


def _conversation_id(history: Sequence[ModelMessage]) -> str:
    # pydantic-ai keeps the newest conversation id found in the history, else starts a new one.
    for message in reversed(history):
        if message.conversation_id is not None:
            return message.conversation_id
    return str(uuid7())


async def run_offline(
    model: OfflineModel,
    *,
    history: Sequence[ModelMessage],
    prompt: str,
    instructions: str,
    tools: Mapping[str, ToolFunction],
    state: TurnState,
    limits: LoopLimits,
    failures: int,
    count_failures: Callable[[ModelRequest, TurnState, int], int],
    cost_of: Callable[[ModelResponse], Decimal],
    relay: DeltaRelay | None = None,
) -> LoopResult:
    """Run the model and its tool calls until it answers in text (or a safety rule stops the turn)."""
    run_id = str(uuid7())
    conversation_id = _conversation_id(history)
    key = frozenset(tools)
    names = _TOOL_SETS.setdefault(key, key)  # one object per tool set: caches keyed on it hold no copies
    request = ModelRequest(
        parts=[UserPromptPart(content=prompt)],
        instructions=instructions,
        run_id=run_id,
        conversation_id=conversation_id,
        timestamp=datetime.now(UTC),
    )
    new: list[ModelMessage] = []
    retries: dict[str, int] = {}
    empty_retries = 0
    steps = 0
    cost = Decimal(0)
    while True:
        new.append(request)
        failures = count_failures(request, state, failures)
        stop: str | None = None
        if state.handoff is None:
            if failures >= limits.max_failures:
                stop = "repeated_failure"
            elif steps >= limits.max_steps:
                stop = "step_limit"
            elif limits.spent + cost >= limits.cost_cap:
                stop = "cost_cap"
        if stop is not None:
            return LoopResult(None, new, stop, failures)
        steps += 1
        response = model.respond([*history, *new], names)
        response.run_id = run_id
        response.conversation_id = conversation_id
        new.append(response)
        cost += cost_of(response)
        if relay is not None:
            await relay.replay(response)
        calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
        if not calls:
            text = "\n\n".join(p.content for p in response.parts if isinstance(p, TextPart))
            if text or empty_retries >= 1:
                return LoopResult(text.strip() or None, new, None, failures)
            empty_retries += 1
            parts: list[ModelRequestPart] = [
                build_retried_tool_return(ModelRetry(EMPTY_RESPONSE_RETRY), tool_name="final_result")
            ]
        else:
            parts = []
            for call in calls:
                part = _call_tool(call, tools, state, retries, limits.tool_retries)
                if part is None:
                    return LoopResult(None, new, "repeated_failure", failures)
                parts.append(part)
        request = ModelRequest(
            parts=parts,
            instructions=instructions,
            run_id=run_id,
            conversation_id=conversation_id,
            timestamp=datetime.now(UTC),
        )


def _call_tool(
    call: ToolCallPart,
    tools: Mapping[str, ToolFunction],
    state: TurnState,
    retries: dict[str, int],
    max_retries: int,
) -> ToolReturnPart | None:
    """The tool's result part, a retried return, or None when the tool's retries are used up."""
    name = call.tool_name
    function = tools.get(name)
    try:
        if function is None:
            available = ", ".join(f"{n!r}" for n in sorted(tools))
            raise ModelRetry(f"Unknown tool name: {name!r}. Available tools: {available}")
        content = function(state, call.tool_call_id, call.args_as_dict())
    except ModelRetry as exc:
        used = retries.get(name, 0)
        if used >= max_retries:
            return None
        retries[name] = used + 1
        cause: Literal["unknown_tool"] | None = "unknown_tool" if function is None else None
        part = build_retried_tool_return(
            exc, tool_name=name, tool_call_id=call.tool_call_id, tool_kind=call.tool_kind, cause=cause
        )
        if part.retry is not None:
            part.retry = replace(part.retry, attempt=used + 1, max_retries=max_retries)
        return part
    return ToolReturnPart(tool_name=name, content=content, tool_call_id=call.tool_call_id, tool_kind=call.tool_kind)
