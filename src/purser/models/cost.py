"""Tokens and cost: per request, turn, conversation and model — in `Decimal`, never float.

Prices come from genai-prices' bundled, offline snapshot (its update download is never
called) and, for models it lacks, from `OWN_PRICES` below. A model known to neither costs
zero and is reported as unpriced (self-hosted models: Ollama, vLLM, llama.cpp).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from genai_prices import calc_price

__all__ = [
    "OWN_PRICES",
    "ModelUsage",
    "Price",
    "TokenCounts",
    "Usage",
    "decimal_str",
    "price_tokens",
    "summarize",
]

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None


def _p(inp: str, out: str, cached: str | None = None) -> Price:
    return Price(Decimal(inp), Decimal(out), Decimal(cached) if cached is not None else None)


OWN_PRICES: dict[str, Price] = {
    # Alibaba Cloud Model Studio (DashScope, international) — genai-prices has no direct Qwen provider.
    "qwen-max": _p("1.60", "6.40"),
    "qwen-max-latest": _p("1.60", "6.40"),
    "qwen-plus": _p("0.40", "1.20"),
    "qwen-plus-latest": _p("0.40", "1.20"),
    "qwen-turbo": _p("0.05", "0.20"),
    "qwen-turbo-latest": _p("0.05", "0.20"),
    "qwen-flash": _p("0.05", "0.40"),
    "qwen3-max": _p("1.20", "6.00"),
    "qwen3-coder-plus": _p("1.00", "5.00"),
}
"""Our own table (USD per million tokens) for models genai-prices lacks; keys are lower-case model ids."""


class _UsageLike(Protocol):
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


@dataclass(frozen=True)
class TokenCounts:
    """Tokens of one request (an `AbstractUsage` for genai-prices)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    input_audio_tokens: int = 0
    cache_audio_read_tokens: int = 0
    output_audio_tokens: int = 0


def price_tokens(
    usage: _UsageLike,
    model: str,
    *,
    provider: str | None = None,
    base_url: str | None = None,
) -> tuple[Decimal, bool]:
    """The USD cost of `usage` on `model` and whether the model was priced at all.

    Lookup order: genai-prices by the endpoint URL, by provider id, by the model name alone,
    then `OWN_PRICES`; unknown models cost zero (`priced` False).
    """
    tokens = TokenCounts(
        input_tokens=int(usage.input_tokens),
        output_tokens=int(usage.output_tokens),
        cache_read_tokens=int(usage.cache_read_tokens),
        cache_write_tokens=int(usage.cache_write_tokens),
    )
    if tokens.input_tokens == 0 and tokens.output_tokens == 0:
        return Decimal(0), True
    attempts: list[dict[str, Any]] = []
    if base_url:
        attempts.append({"provider_api_url": base_url})
    if provider and provider not in ("offline", "function", "test"):
        attempts.append({"provider_id": provider})
    attempts.append({})
    for kwargs in attempts:
        try:
            calc = calc_price(tokens, model, **kwargs)
        except (LookupError, ValueError):
            continue
        return Decimal(calc.total_price), True
    own = OWN_PRICES.get(model.lower())
    if own is None:
        return Decimal(0), False
    cached = min(tokens.cache_read_tokens, tokens.input_tokens)
    cached_rate = own.cached_input if own.cached_input is not None else own.input
    total = (
        Decimal(tokens.input_tokens - cached) * own.input
        + Decimal(cached) * cached_rate
        + Decimal(tokens.output_tokens) * own.output
    ) / _MILLION
    return total, True


def decimal_str(value: Decimal) -> str:
    """A plain decimal string without exponent or trailing zeros ("0", "0.00045")."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class ModelUsage:
    """Tokens and cost of one model."""

    model: str
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: str = "0"
    priced: bool = True

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "model": self.model,
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_usd,
            "priced": self.priced,
        }


@dataclass(frozen=True)
class Usage:
    """Tokens and cost of a turn or a conversation, with the split per model."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: str = "0"
    turns: int = 0
    per_model: dict[str, ModelUsage] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @property
    def tokens(self) -> int:
        """Alias of `total_tokens` (the gym report's name)."""
        return self.total_tokens

    @property
    def cost(self) -> Decimal:
        """The cost as a Decimal."""
        return Decimal(self.cost_usd)

    def to_json(self) -> dict[str, Any]:
        """JSON form (decimal strings for money)."""
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_usd,
            "turns": self.turns,
            "per_model": {name: mu.to_json() for name, mu in sorted(self.per_model.items())},
        }


def summarize(rows: Iterable[Mapping[str, Any]]) -> Usage:
    """Fold usage rows (`model`, `requests`, `input_tokens`, `output_tokens`, `cost_usd`, `priced`, `turn`)."""
    per: dict[str, dict[str, Any]] = {}
    turns: set[Any] = set()
    for row in rows:
        turns.add(row.get("turn"))
        acc = per.setdefault(
            str(row["model"]), {"requests": 0, "input": 0, "output": 0, "cost": Decimal(0), "priced": True}
        )
        acc["requests"] += int(row["requests"])
        acc["input"] += int(row["input_tokens"])
        acc["output"] += int(row["output_tokens"])
        acc["cost"] += Decimal(str(row["cost_usd"]))
        acc["priced"] = acc["priced"] and bool(row.get("priced", True))
    per_model = {
        name: ModelUsage(
            model=name,
            requests=acc["requests"],
            input_tokens=acc["input"],
            output_tokens=acc["output"],
            cost_usd=decimal_str(acc["cost"]),
            priced=acc["priced"],
        )
        for name, acc in per.items()
    }
    total_cost = sum((Decimal(mu.cost_usd) for mu in per_model.values()), Decimal(0))
    return Usage(
        requests=sum(mu.requests for mu in per_model.values()),
        input_tokens=sum(mu.input_tokens for mu in per_model.values()),
        output_tokens=sum(mu.output_tokens for mu in per_model.values()),
        cost_usd=decimal_str(total_cost),
        turns=len(turns - {None}),
        per_model=per_model,
    )
