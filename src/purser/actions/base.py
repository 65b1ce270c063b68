"""What every action module provides, and the strict argument base.

An action module defines `SPEC: ActionSpec`: its name, kind, strict pydantic input model, and
either `run` (reads: arguments → result JSON) or `prepare` + `execute` (writes):

* `prepare(ctx, args) -> Prepared` resolves the arguments against the verified customer's
  snapshot, applies the hard rules (raising `Refusal`), and returns the exact quote shown to the
  customer, the executor parameters (`plan`, JSON) and the envelope violations;
* `execute(processor, plan, key) -> Executed` performs it with the idempotency key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from purser.domain import AccountSnapshot
from purser.money import Money
from purser.policy.guard import RefundUsage
from purser.policy.schema import Policy
from purser.processors import BillingProcessor

ActionKind = Literal["read", "write", "money", "control"]


class StrictArgs(BaseModel):
    """Base of every action's arguments: no extra fields; nullable fields may be omitted (→ null)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _fill_nullable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            filled = dict(data)
            for name, info in cls.model_fields.items():
                if name not in filled and _nullable(info.annotation):
                    filled[name] = None
            return filled
        return data


def _nullable(annotation: Any) -> bool:
    return type(None) in getattr(annotation, "__args__", ())


class Refusal(Exception):
    """A hard rule said no (or the arguments do not resolve): nothing runs."""

    def __init__(
        self,
        reason: str,
        summary: str,
        *,
        status: Literal["refused", "invalid", "escalated"] = "refused",
        handoff_reason: str | None = None,
    ) -> None:
        super().__init__(summary)
        self.reason = reason
        self.summary = summary
        self.status = status
        self.handoff_reason = handoff_reason


@dataclass(frozen=True, slots=True)
class Context:
    """Everything `prepare` may look at."""

    policy: Policy
    """The policy in force."""
    snapshot: AccountSnapshot
    """The verified customer's state (processor clock in `snapshot.now`)."""
    processor: BillingProcessor
    """For quotes (preview_change)."""
    usage: RefundUsage | None = None
    """Refund envelope usage (refunds only)."""
    fixed: dict[str, Any] = field(default_factory=dict)
    """Values fixed at the first quote (e.g. `proration_date`), reused when re-quoting."""
    prior: list[dict[str, Any]] = field(default_factory=list)
    """Earlier actions of this conversation: {"action", "status", "reason"} (for the save offer)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A write, resolved and quoted."""

    quote: dict[str, Any]
    """What the customer confirms: amounts (decimal strings + currency) and dates."""
    plan: dict[str, Any]
    """Executor parameters (JSON)."""
    summary: str
    """Customer-facing sentence describing the quoted action."""
    violations: tuple[str, ...] = ()
    """Envelope violations (→ approval or refusal per `over_limit`)."""
    money: Money | None = None
    """Money leaving the account (refunds) — what the ledger reserves and approvals show."""
    counts: bool = True
    """Whether a refund counts towards the per-customer count (False for exempt duplicates)."""
    fixed: dict[str, Any] = field(default_factory=dict)
    """Values to reuse when re-quoting."""


@dataclass(frozen=True, slots=True)
class Executed:
    """What an executor did."""

    result: dict[str, Any]
    """Compact JSON for the model."""
    summary: str
    """Customer-facing sentence."""


@dataclass(frozen=True)
class ActionSpec:
    """One catalog entry."""

    name: str
    """Tool name."""
    description: str
    """Tool description for the model."""
    kind: ActionKind
    """read, write (no money), money, control."""
    input_model: type[StrictArgs]
    """Strict pydantic input schema."""
    run: Callable[[Context, Any], dict[str, Any]] | None = None
    """Reads: the result JSON."""
    prepare: Callable[[Context, Any], Prepared] | None = None
    """Writes: resolve, check, quote."""
    execute: Callable[[BillingProcessor, dict[str, Any], str], Executed] | None = None
    """Writes: perform with the idempotency key."""
    reads_prior: bool = False
    """`prepare` looks at `Context.prior` (the conversation's earlier actions): when re-quoting at
    confirmation they are read for it; otherwise `prior` is left empty there."""

    def json_schema(self) -> dict[str, Any]:
        """The input schema for OpenAI strict mode and Anthropic tools (refs inlined)."""
        return strict_json_schema(self.input_model)

    def tool_definition(self) -> dict[str, Any]:
        """{"name", "description", "parameters"} as LLM APIs take it."""
        return {"name": self.name, "description": self.description, "parameters": self.json_schema()}


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with `$ref`s inlined, `default`s dropped, every property required
    and `additionalProperties: false` on every object."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].split("/")[-1]
                return walk(copy.deepcopy(defs[name]))
            out = {k: walk(v) for k, v in node.items() if k != "default"}
            if out.get("type") == "object":
                out["additionalProperties"] = False
                out["required"] = list(out.get("properties", {}))
                out.setdefault("properties", {})
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result = walk(raw)
    assert isinstance(result, dict)
    return result


# -- JSON helpers shared by the actions ------------------------------------------------------------
def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, to the second."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Inverse of `iso`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def day(moment: datetime) -> str:
    """A date for customer-facing text: "1 December 2026"."""
    return f"{moment.day} {moment.strftime('%B %Y')}"


def money_json(amount: Money) -> dict[str, str]:
    """{"amount": "20.00", "currency": "usd"}."""
    return {"amount": amount.amount_str(), "currency": amount.currency}


def money_from(plan: dict[str, Any], key: str = "amount_minor", currency_key: str = "currency") -> Money:
    """Money stored in an executor plan as minor units + currency."""
    return Money(int(plan[key]), str(plan[currency_key]))


__all__ = [
    "ActionKind",
    "ActionSpec",
    "Context",
    "Executed",
    "Prepared",
    "Refusal",
    "StrictArgs",
    "day",
    "iso",
    "money_from",
    "money_json",
    "parse_iso",
    "strict_json_schema",
]
