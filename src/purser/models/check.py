"""`purser models check`: one tiny request to each configured model — is it reachable, how fast, at what price.

Each configured model (never the offline one, which needs no check) gets one short request through
the same pydantic-ai model Purser would use in a conversation, so a wrong base URL, key or model id
shows up here rather than in a customer's first turn. The price per million input and output
tokens comes from the same tables the cost cap uses (`models.cost.price_tokens`); an unpriced model
says so. Errors name the model and what failed, never the key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from pydantic_ai.direct import model_request_sync
from pydantic_ai.messages import ModelRequest
from pydantic_ai.usage import RequestUsage

from purser.config import ModelEntry
from purser.errors import PurserError
from purser.models.cost import price_tokens
from purser.models.registry import ModelRegistry

__all__ = ["PROMPT", "ModelCheck", "check_models", "price_per_million"]

PROMPT = "Reply with the single word OK."
_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The outcome of one model's check."""

    name: str
    provider: str
    model: str
    ok: bool
    latency_ms: int | None
    """Wall time of the request (None when it failed before sending)."""
    input_per_million: Decimal | None
    """USD per million input tokens (None: not in the price tables)."""
    output_per_million: Decimal | None
    """USD per million output tokens (None: not in the price tables)."""
    reply: str = ""
    error: str = ""


def price_per_million(entry: ModelEntry) -> tuple[Decimal | None, Decimal | None]:
    """USD per million input and output tokens of `entry`, or (None, None) when the tables do not know it."""
    prices = []
    for tokens in (RequestUsage(input_tokens=_MILLION), RequestUsage(output_tokens=_MILLION)):
        cost, priced = price_tokens(tokens, entry.model, provider=entry.provider, base_url=entry.base_url)
        prices.append(cost if priced else None)
    return prices[0], prices[1]


def _text(response: object) -> str:
    parts = getattr(response, "parts", ())
    return " ".join(str(getattr(p, "content", "")) for p in parts if getattr(p, "part_kind", "") == "text").strip()


def check_models(registry: ModelRegistry) -> list[ModelCheck]:
    """One request per configured non-offline model, in configuration order."""
    checks: list[ModelCheck] = []
    for entry in registry.entries:
        if entry.provider == "offline":
            continue
        inp, out = price_per_million(entry)
        started = time.perf_counter()
        try:
            model = registry.model(entry)
            response = model_request_sync(model, [ModelRequest.user_text_prompt(PROMPT)])
        except PurserError as exc:
            checks.append(ModelCheck(entry.name, entry.provider, entry.model, False, None, inp, out, error=str(exc)))
            continue
        except Exception as exc:  # a provider's own error (HTTP status, connection): reported, never raised
            elapsed = round((time.perf_counter() - started) * 1000)
            error = f"{type(exc).__name__}: {_first_line(str(exc))}"
            checks.append(ModelCheck(entry.name, entry.provider, entry.model, False, elapsed, inp, out, error=error))
            continue
        elapsed = round((time.perf_counter() - started) * 1000)
        checks.append(
            ModelCheck(entry.name, entry.provider, entry.model, True, elapsed, inp, out, reply=_text(response)[:80])
        )
    return checks


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]
