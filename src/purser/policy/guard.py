"""The guard: pure policy decisions over an `AccountSnapshot` and the refund ledger's usage.

Nothing here does I/O. The gateway calls these functions twice for a write: at proposal
(advisory) and at confirmation inside the transaction that takes the per-customer and
per-day locks and writes the reservation, so caps hold across concurrent conversations.

Decisions: `allow` (reads), `confirm` (a write inside the envelope), `approval` (outside the
envelope with `over_limit: approval`), `refuse` and `escalate`, each with a machine reason.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from purser.domain import AccountSnapshot, Charge, ChargeStatus, Plan, Subscription, SubscriptionStatus
from purser.money import Money
from purser.policy.schema import Policy

DecisionKind = Literal["allow", "confirm", "approval", "refuse", "escalate"]

DUPLICATE_WINDOW = timedelta(hours=1)
"""Two charges of the same amount this close together (or on the same invoice) are duplicates."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the guard decided about one proposed action."""

    kind: DecisionKind
    """allow / confirm / approval / refuse / escalate."""
    reason: str | None = None
    """Machine reason (window, per_refund_max, count, daily_budget, disputed, ...)."""
    detail: str = ""
    """Human explanation."""
    handoff_reason: str | None = None
    """Escalation trigger when `kind == "escalate"`."""


@dataclass(frozen=True, slots=True)
class RefundUsage:
    """What the ledger and the processor say was already used of the refund envelope."""

    prior_refunds: int
    """Refunds of this customer in the look-back that count (processor refunds ∪ agent reservations)."""
    spent_today: Money
    """Agent refunds reserved or executed on this UTC day (whole account), in the charge's currency."""
    reserved_on_charge: Money
    """Agent reservations on this charge not yet visible as processor refunds."""
    reserved_by_charge: dict[str, int] = field(default_factory=dict)
    """Minor units reserved per charge id (for the duplicate check of the twin charge)."""


@dataclass(frozen=True, slots=True)
class RefundCheck:
    """The refund envelope's verdict: hard refusal, or envelope violations (possibly none)."""

    violations: tuple[str, ...]
    """Reasons outside the envelope, in order: window, per_refund_max, count, daily_budget."""
    duplicate: bool
    """The charge is an exact duplicate refunded in full (outside the count and the cap)."""
    cap: Money | None
    """The per-refund maximum that applied (None when exempt)."""


def remaining(charge: Charge, reserved: Money) -> Money:
    """What can still be refunded on `charge`, minus unexecuted reservations on it."""
    left = charge.refundable - reserved
    return left if left.minor > 0 else Money.zero(charge.amount.currency)


def is_duplicate(snapshot: AccountSnapshot, charge: Charge, reserved_by_charge: dict[str, int]) -> bool:
    """True when another successful, unrefunded charge of the customer has the same amount and is on the
    same invoice or within `DUPLICATE_WINDOW` of this one."""
    if charge.status is not ChargeStatus.SUCCEEDED:
        return False
    for other in snapshot.charges:
        if other.id == charge.id or other.status is not ChargeStatus.SUCCEEDED or other.disputed:
            continue
        if other.amount.currency != charge.amount.currency or other.amount != charge.amount:
            continue
        untouched = other.refundable.minor - reserved_by_charge.get(other.id, 0) == other.amount.minor
        if not untouched:
            continue
        same_invoice = charge.invoice_id is not None and other.invoice_id == charge.invoice_id
        close = abs(other.created - charge.created) <= DUPLICATE_WINDOW
        if same_invoice or close:
            return True
    return False


def one_cycle(snapshot: AccountSnapshot, currency: str) -> Money:
    """Plan price × quantity of one interval, in `currency` (zero when there is no such plan)."""
    sub, plan = snapshot.subscription, snapshot.plan
    if sub is None or plan is None or plan.amount.currency != currency:
        return Money.zero(currency)
    return plan.price_for(sub.quantity if plan.per_seat else 1)


def check_refund(
    policy: Policy, snapshot: AccountSnapshot, charge: Charge, amount: Money, usage: RefundUsage
) -> RefundCheck:
    """The envelope for refunding `amount` of `charge` (hard rules are checked by the caller)."""
    rules = policy.refunds
    currency = charge.amount.currency
    left = remaining(charge, usage.reserved_on_charge)
    duplicate = (
        rules.duplicates_exempt
        and amount == left
        and left == charge.amount
        and is_duplicate(snapshot, charge, usage.reserved_by_charge)
    )
    violations: list[str] = []
    if snapshot.now - charge.created > timedelta(days=rules.window_days):
        violations.append("window")
    cap: Money | None = None
    if not duplicate:
        fixed = rules.max_amount_money(currency, policy.currency)
        cap = fixed if fixed is not None else one_cycle(snapshot, currency)
        if amount > cap:
            violations.append("per_refund_max")
        if usage.prior_refunds + 1 > rules.per_customer_count:
            violations.append("count")
    if usage.spent_today + amount > rules.daily_budget_money(currency, policy.currency):
        violations.append("daily_budget")
    return RefundCheck(tuple(violations), duplicate, cap)


def envelope_decision(policy: Policy, violations: tuple[str, ...] | list[str], detail: str = "") -> Decision:
    """`confirm` inside the envelope; otherwise `approval` or `refuse` per `over_limit`."""
    if not violations:
        return Decision("confirm")
    kind: DecisionKind = "approval" if policy.refunds.over_limit == "approval" else "refuse"
    return Decision(kind, violations[0], detail)


def disputed_decision(policy: Policy) -> Decision:
    """A disputed charge is never refunded: escalate (reason dispute) or refuse, per policy."""
    if policy.refunds.disputed == "escalate" and "dispute" in policy.escalation.triggers:
        return Decision("escalate", "disputed", "The charge is disputed with the bank.", handoff_reason="dispute")
    return Decision("refuse", "disputed", "The charge is disputed with the bank.")


# -- plans and seats -------------------------------------------------------------------------
def recurring(plan: Plan, quantity: int) -> Money:
    """The recurring amount of `plan` at `quantity` (quantity ignored for flat plans)."""
    return plan.price_for(quantity if plan.per_seat else 1)


def change_timing(
    policy: Policy, current: Plan, current_qty: int, target: Plan, target_qty: int
) -> Literal["now_prorated", "period_end"]:
    """Upgrade (the new recurring amount is higher) or downgrade timing, from the policy."""
    new, old = recurring(target, target_qty), recurring(current, current_qty)
    higher = new.minor > old.minor if new.currency == old.currency else True
    return policy.plans.upgrade if higher else policy.plans.downgrade


def seat_violation(policy: Policy, current_qty: int, target_qty: int) -> str | None:
    """ "max_seat_change" when the change exceeds the policy, else None."""
    if abs(target_qty - current_qty) > policy.plans.max_seat_change:
        return "max_seat_change"
    return None


# -- pause, resume, cancel ---------------------------------------------------------------------
def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def pause_resumes_at(subscription: Subscription, months: int) -> datetime:
    """Billing resumes N months after the current period's end."""
    return add_months(subscription.current_period_end, months)


def pause_months_ok(policy: Policy, months: int) -> bool:
    """1 ≤ months ≤ pause_max_months."""
    return 1 <= months <= policy.cancellation.pause_max_months


def save_offer_applies(policy: Policy, subscription: Subscription) -> bool:
    """True when a pause must be offered once before cancelling."""
    return (
        policy.cancellation.save_offer == "pause"
        and policy.actions.pause
        and policy.cancellation.pause_max_months >= 1
        and subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
        and subscription.resumes_at is None
    )


def cancel_effective_at(policy: Policy, subscription: Subscription, now: datetime) -> datetime:
    """When service ends: the current period's end or now."""
    return now if policy.cancellation.effective == "now" else subscription.current_period_end


__all__ = [
    "DUPLICATE_WINDOW",
    "Decision",
    "DecisionKind",
    "RefundCheck",
    "RefundUsage",
    "add_months",
    "cancel_effective_at",
    "change_timing",
    "check_refund",
    "disputed_decision",
    "envelope_decision",
    "is_duplicate",
    "one_cycle",
    "pause_months_ok",
    "pause_resumes_at",
    "recurring",
    "remaining",
    "save_offer_applies",
    "seat_violation",
]
