"""Stripe's proration, to the second, in integer arithmetic.

For a change at `proration_date` inside the period [start, end):

    remaining = end - proration_date      (seconds)
    period    = end - start               (seconds)
    credit    = -round(old_price × old_qty × remaining / period)   "Unused time on OLD"
    debit     = +round(new_price × new_qty × remaining / period)   "Remaining time on NEW"

each rounded half-up to the minor unit (no float anywhere). When the interval
changes (month ↔ year) Stripe restarts the billing cycle at the proration date:
the credit line is the same and the debit is one full new period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from purser.domain import Plan, ProrationLine
from purser.money import Money
from purser.processors.errors import InvalidRequest
from purser.processors.sandbox.clock import add_interval

__all__ = ["Proration", "prorate", "prorated_amount", "round_half_up"]

_SECOND = timedelta(seconds=1)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, exactly (denominator > 0)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def prorated_amount(amount_minor: int, remaining_seconds: int, period_seconds: int) -> int:
    """round(amount × remaining / period), half-up, in minor units."""
    return round_half_up(amount_minor * remaining_seconds, period_seconds)


def _when(value: datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def _label(plan: Plan, quantity: int) -> str:
    return plan.name if quantity == 1 else f"{quantity} × {plan.name}"


@dataclass(frozen=True, slots=True)
class Proration:
    """The proration lines of a change and the period the new price runs in."""

    lines: tuple[ProrationLine, ...]
    """Credit for unused time (negative), then the charge for the new price."""
    new_period_start: datetime
    """Start of the period after the change."""
    new_period_end: datetime
    """End of that period (unchanged unless the interval changed)."""
    resets_cycle: bool
    """True when the interval changed and the billing cycle restarts at the proration date."""

    @property
    def total(self) -> int:
        """Sum of the lines in minor units."""
        return sum(line.amount.minor for line in self.lines)


def prorate(
    *,
    old_plan: Plan,
    old_quantity: int,
    new_plan: Plan,
    new_quantity: int,
    period_start: datetime,
    period_end: datetime,
    proration_date: datetime,
) -> Proration:
    """The proration of moving from (old_plan, old_quantity) to (new_plan, new_quantity) at `proration_date`."""
    currency = old_plan.amount.currency
    if new_plan.amount.currency != currency:
        raise InvalidRequest(
            f"cannot change from a {currency.upper()} plan to a {new_plan.amount.currency.upper()} plan",
            code="currency_mismatch",
        )
    if not period_start <= proration_date <= period_end:
        raise InvalidRequest(
            f"proration_date {proration_date.isoformat()} is outside the current period "
            f"{period_start.isoformat()} .. {period_end.isoformat()}",
            code="invalid_proration_date",
        )
    period = (period_end - period_start) // _SECOND
    remaining = (period_end - proration_date) // _SECOND
    if period <= 0:
        raise InvalidRequest("the current period is empty", code="invalid_period")
    old_total = old_plan.amount.minor * old_quantity
    credit = -prorated_amount(old_total, remaining, period)
    lines = [
        ProrationLine(
            description=f"Unused time on {_label(old_plan, old_quantity)} after {_when(proration_date)}",
            amount=Money(credit, currency),
            period_start=proration_date,
            period_end=period_end,
        )
    ]
    new_total = new_plan.amount.minor * new_quantity
    if new_plan.interval != old_plan.interval:
        new_end = add_interval(proration_date, new_plan.interval)
        lines.append(
            ProrationLine(
                description=f"{_label(new_plan, new_quantity)} from {_when(proration_date)}",
                amount=Money(new_total, currency),
                period_start=proration_date,
                period_end=new_end,
            )
        )
        return Proration(tuple(lines), proration_date, new_end, True)
    debit = prorated_amount(new_total, remaining, period)
    lines.append(
        ProrationLine(
            description=f"Remaining time on {_label(new_plan, new_quantity)} after {_when(proration_date)}",
            amount=Money(debit, currency),
            period_start=proration_date,
            period_end=period_end,
        )
    )
    return Proration(tuple(lines), period_start, period_end, False)
