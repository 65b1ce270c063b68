"""The billing cycle as the clock moves: renewals, trial ends, pauses ending, cancellations, retries.

`due_customers` finds every customer with something due by the target time;
`run_customer` then replays that customer's timeline in order, one transition
at a time, each at its own instant (so a renewal's invoice and events carry the
period boundary's time, not the target's). A renewal happens exactly once per
boundary: the subscription's period moves forward as it is invoiced.

`run_customer` works row by row through the write paths the interactive
operations use; it is the reference that `batch.py` (what `advance_clock` runs:
many customers in memory, executemany writes) is tested against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select, update

from purser.domain import Plan, Subscription, SubscriptionStatus
from purser.processors.sandbox import invoices, queries, rows, subscriptions
from purser.processors.sandbox.clock import next_boundary_after, to_db, utc
from purser.processors.sandbox.events import emit
from purser.store import sandbox_tables as t

S = SubscriptionStatus


@dataclass
class AdvanceReport:
    """What an `advance_clock` did."""

    to: datetime
    """The clock after the advance."""
    renewals: int = 0
    """Periods invoiced (renewals, trial ends, resumes)."""
    retries: int = 0
    """Automatic payment retries."""
    cancellations: int = 0
    """Subscriptions that ended."""
    customers: list[str] = field(default_factory=list)
    """Customers whose state changed."""


def _sub_due_clause(target: datetime) -> object:
    s = t.subscriptions.c
    tgt = to_db(target)
    return or_(
        and_(s.status.in_(["active", "past_due", "unpaid"]), s.current_period_end <= tgt),
        and_(s.status == "trialing", func.coalesce(s.trial_end, s.current_period_end) <= tgt),
        and_(s.status == "paused", s.resumes_at <= tgt),
        and_(s.status == "paused", s.cancel_at_period_end.is_(True), s.current_period_end <= tgt),
    )


def due_customers(conn: Connection, target: datetime) -> list[str]:
    """Customers with a subscription transition or an automatic retry due by `target`."""
    subs = select(t.subscriptions.c.customer_id).where(_sub_due_clause(target))  # type: ignore[arg-type]
    inv = t.invoices.c
    retries = select(inv.customer_id).where(inv.status == "open", inv.next_payment_attempt <= to_db(target))
    ids = {r[0] for r in conn.execute(subs)} | {r[0] for r in conn.execute(retries)}
    return sorted(ids)


def next_sub_step(sub: Subscription) -> datetime | None:
    """When the subscription's next transition is due (None: never, by itself)."""
    if sub.status in (S.ACTIVE, S.PAST_DUE, S.UNPAID):
        return sub.current_period_end
    if sub.status is S.TRIALING:
        return sub.trial_end or sub.current_period_end
    if sub.status is S.PAUSED:
        times = [sub.resumes_at] if sub.resumes_at else []
        if sub.cancel_at_period_end:
            times.append(max(sub.current_period_end, sub.canceled_at or sub.current_period_end))
        return min(times) if times else None
    return None


def run_customer(conn: Connection, customer_id: str, target: datetime, dunning: tuple[int, ...]) -> AdvanceReport:
    """Replay one customer's due transitions up to `target`, earliest first."""
    report = AdvanceReport(to=target)
    queries.row(conn, t.customers, customer_id, lock=True)  # one advancer per customer at a time
    sub_ids = [
        r[0]
        for r in conn.execute(
            select(t.subscriptions.c.id).where(
                t.subscriptions.c.customer_id == customer_id, t.subscriptions.c.status != "canceled"
            )
        )
    ]
    while True:
        steps: list[tuple[datetime, int, str]] = []
        loaded: dict[str, tuple[Subscription, datetime]] = {}
        for sub_id in sub_ids:
            row = queries.row(conn, t.subscriptions, sub_id, lock=True)
            sub = rows.subscription(row)
            loaded[sub_id] = (sub, utc(row.billing_cycle_anchor))
            when = next_sub_step(sub)
            if when is not None and when <= target:
                steps.append((when, 1, sub_id))
        inv = t.invoices.c
        retry = conn.execute(
            select(inv.id, inv.next_payment_attempt)
            .where(inv.customer_id == customer_id, inv.status == "open", inv.next_payment_attempt <= to_db(target))
            .order_by(inv.next_payment_attempt, inv.id)
            .limit(1)
        ).first()
        if retry is not None:
            steps.append((utc(retry.next_payment_attempt), 0, retry.id))
        if not steps:
            return report
        when, kind, object_id = min(steps)
        if kind == 0:
            invoices.attempt_payment(conn, object_id, when, dunning_days=dunning)
            report.retries += 1
        else:
            sub, anchor = loaded[object_id]
            _step_subscription(conn, sub, anchor, when, dunning, report)


def renewal(sub: Subscription, plans: Mapping[str, Plan]) -> tuple[Plan, int, SubscriptionStatus, bool]:
    """What a renewal of `sub` bills: the plan and quantity (scheduled ones take effect), the status
    after it (a trial ends as active), and whether the billing anchor restarts (trial end, new interval)."""
    plan = plans[sub.scheduled_plan_id or sub.plan_id]
    quantity = sub.scheduled_quantity or sub.quantity
    status = S.ACTIVE if sub.status is S.TRIALING else sub.status
    return plan, quantity, status, sub.status is S.TRIALING or plan.interval != plans[sub.plan_id].interval


def _step_subscription(
    conn: Connection,
    sub: Subscription,
    anchor: datetime,
    when: datetime,
    dunning: tuple[int, ...],
    report: AdvanceReport,
) -> None:
    sub_id = sub.id
    if sub.status is S.PAUSED:
        if sub.resumes_at is not None and sub.resumes_at <= when:
            if sub.resumes_at >= sub.current_period_end:
                subscriptions.start_new_period(conn, sub_id, when, dunning_days=dunning, reason="subscription_cycle")
                report.renewals += 1
            else:
                conn.execute(
                    update(t.subscriptions)
                    .where(t.subscriptions.c.id == sub_id)
                    .values(status="active", pause_starts_at=None, resumes_at=None)
                )
            subscriptions._updated(conn, sub, when, status="paused")
        else:
            subscriptions.end_now(conn, sub_id, when)
            report.cancellations += 1
        return
    if sub.cancel_at_period_end:
        subscriptions.end_now(conn, sub_id, when)
        report.cancellations += 1
        return
    plan, quantity, status, resets = renewal(sub, {p.id: p for p in queries.plans(conn)})
    plan_id = plan.id
    values: dict[str, object] = {
        "plan_id": plan_id,
        "quantity": quantity,
        "scheduled_plan_id": None,
        "scheduled_quantity": None,
        "current_period_start": to_db(when),
        "status": status.value,
    }
    if resets:
        values["billing_cycle_anchor"] = to_db(when)
        anchor = when
    end = next_boundary_after(anchor, plan.interval, when)
    values["current_period_end"] = to_db(end)
    conn.execute(update(t.subscriptions).where(t.subscriptions.c.id == sub_id).values(**values))
    previous: dict[str, object] = {"current_period_start": int(sub.current_period_start.timestamp())}
    if plan_id != sub.plan_id or quantity != sub.quantity:
        previous.update(plan=sub.plan_id, quantity=sub.quantity)
    if sub.status is S.TRIALING:
        previous["status"] = "trialing"
    after = replace(
        sub,
        plan_id=plan_id,
        quantity=quantity,
        scheduled_plan_id=None,
        scheduled_quantity=None,
        current_period_start=when,
        current_period_end=end,
        status=status,
    )
    emit(conn, "customer.subscription.updated", after, when, customer_id=sub.customer_id, previous=previous)
    subscriptions.bill_period(
        conn,
        sub_id,
        plan,
        quantity,
        when,
        end,
        dunning_days=dunning,
        reason="subscription_cycle",
        attempt=sub.status is not S.UNPAID,
        customer_id=sub.customer_id,
        known_status=status.value,
    )
    report.renewals += 1
