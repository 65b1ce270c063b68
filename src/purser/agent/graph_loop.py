"""A turn on pydantic-ai's agent graph (real LLMs): the tool loop with the runtime's safety rules.

Every model request node is checked before it is sent: consecutive failed tool calls
(`count_failures`), the step limit and the cost cap stop the turn; a live listener gets the
request streamed (`DeltaRelay`). The offline model runs the same turn in `agent.offline_loop`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic_ai import Agent
from pydantic_ai.exceptions import AgentRunError, ModelAPIError, UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ModelRequest, RetryPromptPart, ToolReturnPart, UserPromptPart

from purser.agent.offline_loop import LoopLimits, LoopResult
from purser.agent.streaming import without_interrupted
from purser.agent.tools import FAILED_STATUSES, TurnState

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from pydantic_ai.run import AgentRun

    from purser.agent.streaming import DeltaRelay

__all__ = ["UNAVAILABLE_TEXT", "count_failures", "run_graph"]

UNAVAILABLE_TEXT = "Sorry, I can't reach the assistant right now. Please try again in a moment."


def count_failures(request: ModelRequest, state: TurnState, failures: int) -> int:
    """Update the consecutive-failure count with the tool results a request carries back to the model."""
    for part in request.parts:
        if isinstance(part, RetryPromptPart) and part.tool_name:
            failures += 1
        elif isinstance(part, ToolReturnPart):
            status = state.statuses.get(part.tool_call_id)
            if part.outcome == "retried" or status in FAILED_STATUSES:
                failures += 1
            elif status is not None and status != "refused":
                failures = 0
    return failures


async def run_graph(
    agent: Agent[TurnState, str],
    model: Model,
    *,
    history: Sequence[ModelMessage],
    prompt: str,
    instructions: str,
    state: TurnState,
    limits: LoopLimits,
    failures: int,
    cost_of: Callable[[list[ModelMessage]], Decimal],
    relay: DeltaRelay | None = None,
) -> LoopResult:
    """Run the agent graph until the model answers in text (or a safety rule stops the turn)."""
    steps = 0
    stop: str | None = None
    text: str | None = None
    run_ref: AgentRun[TurnState, str] | None = None
    last_request: ModelRequest | None = None
    try:
        async with agent.iter(
            prompt, message_history=list(history), model=model, deps=state, instructions=instructions
        ) as run:
            run_ref = run
            async for node in run:
                if not Agent.is_model_request_node(node):
                    continue
                last_request = node.request
                failures = count_failures(node.request, state, failures)
                if state.handoff is None:
                    if failures >= limits.max_failures:
                        stop = "repeated_failure"
                    elif steps >= limits.max_steps:
                        stop = "step_limit"
                    elif limits.spent + cost_of(run.new_messages()) >= limits.cost_cap:
                        stop = "cost_cap"
                if stop is not None:
                    break
                steps += 1
                if relay is not None:
                    await relay.stream(node, run)
            if run.result is not None:
                text = run.result.output.strip() or None
    except UnexpectedModelBehavior:
        stop = "repeated_failure"
    except (ModelAPIError, AgentRunError, ExceptionGroup):
        stop = "unavailable"
    # Keep everything that happened, including a request that was built but never sent, so the
    # history stays a valid conversation (every tool call answered) for whoever resumes it.
    new = without_interrupted(run_ref.new_messages()) if run_ref is not None else []
    if last_request is not None and all(m is not last_request for m in new):
        new = [*new, last_request]
    if stop == "unavailable":
        return LoopResult(
            UNAVAILABLE_TEXT, new or [ModelRequest(parts=[UserPromptPart(content=prompt)])], None, failures
        )
    return LoopResult(text, new, stop, failures)
