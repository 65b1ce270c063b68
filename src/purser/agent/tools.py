"""The model's tools: every catalog action (through the gateway) plus `search_knowledge`.

Each tool is a pydantic-ai `Tool.from_schema` with the action's strict JSON schema (every
property required, `additionalProperties: false`). Every call goes to `Gateway.propose`, which
validates again, guards, quotes and audits; an `invalid` outcome (invented fields, wrong types,
unknown ids) goes back to the model as a retry and nothing runs. The per-run `TurnState`
(pydantic-ai deps) collects outcomes, statuses and retrieved passages for the runtime's events.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic_ai import ModelRetry, RunContext, Tool

from purser.actions.outcome import Outcome, Scope
from purser.agent.prompts import compact_json

if TYPE_CHECKING:
    from purser.actions.base import ActionSpec
    from purser.actions.gateway import Gateway
    from purser.domain import AccountSnapshot
    from purser.knowledge import KnowledgeBase
    from purser.ports.unit_of_work import TurnBatch

__all__ = [
    "FAILED_STATUSES",
    "KNOWLEDGE_TOOL",
    "ToolFunction",
    "TurnState",
    "build_tools",
    "run_action",
    "run_knowledge",
    "tool_functions",
    "tool_result",
]

FAILED_STATUSES = frozenset({"failed", "invalid"})
"""Outcome statuses that count as a failed tool call (towards `repeated_failure`)."""

KNOWLEDGE_TOOL = "search_knowledge"

DESCRIPTIONS = {
    "lookup_account": (
        "Re-read the verified customer's billing state (the same JSON as the account in your instructions, "
        "which is fresh at the start of every turn). Call it only when you need it again within a turn."
    ),
}
"""Descriptions the runtime words differently from the catalog because the account is already in context."""


@dataclass
class TurnState:
    """What one model run did (the deps of the pydantic-ai run)."""

    scope: Scope
    kinds: Mapping[str, str]
    outcomes: list[Outcome] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # tool_call_id -> outcome status
    passages: list[dict[str, str]] = field(default_factory=list)
    handoff: Outcome | None = None
    batch: TurnBatch | None = None
    """The turn's buffered gateway writes (proposal rows, audit records), applied in the turn's one
    write transaction; None: each proposal writes at once."""
    snapshot: AccountSnapshot | None = None
    """The account as read at the start of this model run. Nothing in a run writes to the billing
    system (writes run only on the customer's confirmation, before the run), so the gateway quotes and
    answers reads from it instead of reading the whole account again per tool call."""

    def record(self, tool_call_id: str | None, outcome: Outcome) -> None:
        """Remember an outcome; an escalation (or the gateway's repeated-failure rule) marks the handoff."""
        self.outcomes.append(outcome)
        if tool_call_id:
            self.statuses[tool_call_id] = outcome.status
        if self.handoff is None and (outcome.status == "escalated" or outcome.handoff_reason):
            self.handoff = outcome


def tool_result(outcome: Outcome) -> str:
    """The compact JSON the model sees (null fields dropped)."""
    return compact_json({k: v for k, v in outcome.to_tool_result().items() if v is not None})


def _handed_off_result() -> str:
    return compact_json(
        {
            "status": "refused",
            "reason": "handed_off",
            "summary": "A teammate has taken over this conversation; no further actions run. Tell the customer.",
        }
    )


def run_action(
    gateway: Gateway, name: str, state: TurnState, tool_call_id: str | None, arguments: dict[str, Any]
) -> str:
    """One catalog action through the gateway: the tool's result text; raises `ModelRetry` for invalid arguments."""
    if state.handoff is not None:
        return _handed_off_result()
    # Gateway calls are synchronous and short (local database + processor); running them inline keeps
    # parallel tool calls of one response serialized on the store.
    outcome = gateway.propose(state.scope, name, dict(arguments), snapshot=state.snapshot, batch=state.batch)
    state.record(tool_call_id, outcome)
    if outcome.status == "invalid" and outcome.handoff_reason is None:
        raise ModelRetry(f"{outcome.summary} Nothing was done. Call {name} again with valid arguments.")
    return tool_result(outcome)


def run_knowledge(kb: KnowledgeBase, state: TurnState, tool_call_id: str | None, arguments: dict[str, Any]) -> str:
    """`search_knowledge`: the passages as the tool's result text; raises `ModelRetry` for invalid arguments."""
    from purser.knowledge import search_tool_result

    extra = sorted(set(arguments) - {"query"})
    query = arguments.get("query")
    if extra or not isinstance(query, str) or not query.strip():
        problems = [f"unknown field {e!r}" for e in extra]
        if not isinstance(query, str) or not query.strip():
            problems.append("query: a non-empty string is required")
        state.statuses[tool_call_id or ""] = "invalid"
        raise ModelRetry("Invalid arguments: " + "; ".join(problems))
    result = search_tool_result(kb, query.strip()[:500])
    state.passages.extend(result["passages"])
    if tool_call_id:
        state.statuses[tool_call_id] = "succeeded"
    return compact_json(result)


ToolFunction = Callable[[TurnState, str | None, dict[str, Any]], str]
"""A tool as the offline loop calls it: (turn state, tool call id, arguments) -> result text."""


def tool_functions(
    specs: Sequence[ActionSpec], gateway: Gateway, knowledge: KnowledgeBase | None
) -> dict[str, ToolFunction]:
    """The same tools as `build_tools`, as plain functions by name (for the offline loop)."""
    out: dict[str, ToolFunction] = {spec.name: partial(run_action, gateway, spec.name) for spec in specs}
    if knowledge is not None:
        out[KNOWLEDGE_TOOL] = partial(run_knowledge, knowledge)
    return out


def _action_tool(spec: ActionSpec, gateway: Gateway) -> Tool[TurnState]:
    name = spec.name

    async def call(ctx: RunContext[TurnState], **arguments: Any) -> str:
        return run_action(gateway, name, ctx.deps, ctx.tool_call_id, arguments)

    return Tool[TurnState].from_schema(
        call,
        name=name,
        description=DESCRIPTIONS.get(name, spec.description),
        json_schema=_schema(spec),
        takes_ctx=True,
    )


_SCHEMAS: dict[tuple[str, type[Any]], dict[str, Any]] = {}


def _schema(spec: ActionSpec) -> dict[str, Any]:
    """The action's strict JSON schema, generated once per process (a fresh copy per tool)."""
    key = (spec.name, spec.input_model)
    schema = _SCHEMAS.get(key)
    if schema is None:
        schema = _SCHEMAS[key] = spec.json_schema()
    return copy.deepcopy(schema)


def _knowledge_tool(kb: KnowledgeBase) -> Tool[TurnState]:
    from purser.knowledge import TOOL_DESCRIPTION

    async def search(ctx: RunContext[TurnState], **arguments: Any) -> str:
        return run_knowledge(kb, ctx.deps, ctx.tool_call_id, arguments)

    schema = {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "What to look up, in a few words."}},
        "required": ["query"],
        "additionalProperties": False,
    }
    return Tool[TurnState].from_schema(
        search, name=KNOWLEDGE_TOOL, description=TOOL_DESCRIPTION, json_schema=schema, takes_ctx=True
    )


def build_tools(
    specs: Sequence[ActionSpec], gateway: Gateway, knowledge: KnowledgeBase | None
) -> list[Tool[TurnState]]:
    """One tool per enabled catalog action, plus `search_knowledge` when there is a knowledge base."""
    tools = [_action_tool(spec, gateway) for spec in specs]
    if knowledge is not None:
        tools.append(_knowledge_tool(knowledge))
    return tools
