"""Per-turn routing between the cheap and the strong model (`purser.config.RoutingRules`).

A turn goes to the strong tier when any rule fires: money at stake above the threshold,
confidence below the floor, consecutive tool failures at or above the limit, or a customer
tier listed in `strong_tiers`. Otherwise the cheap tier serves it. Amounts are Decimals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from purser.config import RoutingRules

__all__ = [
    "Route",
    "RoutingSignals",
    "Tier",
    "amounts_in_text",
    "choose_tier",
    "confidence_from_reply",
    "largest",
]

Tier = Literal["cheap", "strong"]

_AMOUNT_RE = re.compile(r"(?<![\w.\-/:])(?:[$€£¥]\s?)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,3}))?(?![\w\-/:])")
_HEDGES = (
    "i'm not sure",
    "i am not sure",
    "i don't know",
    "i do not know",
    "i'm unable to determine",
    "not certain",
    "unclear",
)


@dataclass(frozen=True)
class RoutingSignals:
    """What the runtime knows about a turn before calling a model."""

    money_at_stake: Decimal | None = None
    """Largest amount involved (policy currency, major units): quotes pending, amounts the customer named."""
    confidence: int | None = None
    """0-100; None when unknown."""
    consecutive_failures: int = 0
    """Failed tool calls in a row so far in the conversation."""
    customer_tier: str | None = None
    """The customer's tier (e.g. "enterprise"), when the processor knows one."""


@dataclass(frozen=True)
class Route:
    """The tier chosen and the rules that fired (empty for the cheap default)."""

    tier: Tier
    reasons: tuple[str, ...] = ()


def choose_tier(rules: RoutingRules, signals: RoutingSignals) -> Route:
    """Apply `rules` to `signals`."""
    reasons: list[str] = []
    threshold = Decimal(rules.money_at_stake_above)
    if signals.money_at_stake is not None and signals.money_at_stake > threshold:
        reasons.append(f"money_at_stake>{rules.money_at_stake_above}")
    if signals.confidence is not None and signals.confidence < rules.low_confidence_below:
        reasons.append(f"confidence<{rules.low_confidence_below}")
    if signals.consecutive_failures >= rules.after_failures:
        reasons.append(f"failures>={rules.after_failures}")
    if signals.customer_tier is not None and signals.customer_tier in rules.strong_tiers:
        reasons.append(f"tier={signals.customer_tier}")
    return Route("strong" if reasons else "cheap", tuple(reasons))


def amounts_in_text(text: str) -> list[Decimal]:
    """Amounts written in `text` ("$250", "1,200.50", "99 euros"); years, dates, times and ids are skipped."""
    found: list[Decimal] = []
    for match in _AMOUNT_RE.finditer(text):
        whole, frac = match.group(1), match.group(2)
        raw = whole.replace(",", "") + (f".{frac}" if frac else "")
        has_symbol = match.group(0)[0] in "$€£¥"
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex only lets digits through
            continue
        # A bare 4-digit integer between 1900 and 2100 is most likely a year, not money.
        if not has_symbol and frac is None and len(raw) == 4 and 1900 <= value <= 2100:
            continue
        found.append(value)
    return found


def largest(values: Iterable[Decimal | None]) -> Decimal | None:
    """The largest non-None value, or None."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def confidence_from_reply(text: str) -> int | None:
    """A rough confidence for the model's previous reply: 40 when it hedged, else None (unknown)."""
    lowered = text.lower()
    return 40 if any(h in lowered for h in _HEDGES) else None
