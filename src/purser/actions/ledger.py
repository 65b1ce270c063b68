"""The refund ledger: reservations that make the refund caps atomic.

Inside one `Database.begin()` transaction the gateway locks the customer's and the day's rows,
computes the usage (processor refunds ∪ agent reservations), decides, and inserts a `reserved`
entry. After the processor call the entry becomes `executed` (with the refund id) or `released`.
A reservation left `reserved` by a crash is settled by `Gateway.recover()`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from purser.actions.base import iso
from purser.audit.log import utc_now_iso
from purser.domain import AccountSnapshot
from purser.money import Money, sum_money
from purser.policy.fx import spent_in
from purser.policy.guard import RefundUsage
from purser.policy.schema import Policy
from purser.store.gateway_tables import gw_ledger, lock_rows

LIVE = ("reserved", "executed")


def lock_names(customer_id: str, now: datetime) -> list[str]:
    """The lock rows a refund decision takes: the customer's and the UTC day's."""
    return [f"customer:{customer_id}", f"day:{now.date().isoformat()}"]


def lock(conn: Connection, customer_id: str, now: datetime) -> None:
    """Take the customer and day locks for the rest of the transaction."""
    lock_rows(conn, lock_names(customer_id, now), utc_now_iso())


def usage(conn: Connection, policy: Policy, snapshot: AccountSnapshot, charge_id: str, currency: str) -> RefundUsage:
    """The envelope already used, seen from inside the locked transaction."""
    now = snapshot.now
    since = iso(now - timedelta(days=policy.refunds.per_customer_days)) or ""
    customer_id = snapshot.customer.id
    rows = conn.execute(
        select(gw_ledger).where(gw_ledger.c.customer_id == customer_id, gw_ledger.c.state.in_(LIVE))
    ).all()
    exempt = {r.refund_id for r in rows if r.refund_id and not r.counts}
    processor_ids = {r.id for r in snapshot.refunds}
    counted: set[str] = set()
    for refund in snapshot.refunds:
        if (iso(refund.created) or "") >= since and refund.id not in exempt:
            counted.add(refund.id)
    reserved_by_charge: dict[str, int] = {}
    for r in rows:
        if r.refund_id and r.refund_id in processor_ids:
            continue  # already visible in the processor's state
        if r.counts and str(r.created) >= since:
            counted.add(r.refund_id or f"reservation:{r.action_id}")
        if r.currency == currency:
            reserved_by_charge[r.charge_id] = reserved_by_charge.get(r.charge_id, 0) + int(r.amount_minor)
    day = now.date().isoformat()
    # The daily budget is account-wide across currencies: every live entry of the day, counted in
    # `currency` at the reference rates (rounded up, so a conversion never loosens the budget).
    spent = conn.execute(
        select(gw_ledger.c.amount_minor, gw_ledger.c.currency).where(
            gw_ledger.c.day == day, gw_ledger.c.state.in_(LIVE)
        )
    ).all()
    return RefundUsage(
        prior_refunds=len(counted),
        spent_today=sum_money([spent_in(Money(int(s.amount_minor), s.currency), currency) for s in spent], currency),
        reserved_on_charge=Money(reserved_by_charge.get(charge_id, 0), currency),
        reserved_by_charge=reserved_by_charge,
    )


def reserve(
    conn: Connection,
    *,
    action_id: str,
    conversation_id: str,
    customer_id: str,
    charge_id: str,
    amount: Money,
    now: datetime,
    counts: bool,
    approved: bool,
    idempotency_key: str,
) -> None:
    """Insert a `reserved` entry (inside the locked transaction)."""
    conn.execute(
        gw_ledger.insert().values(
            action_id=action_id,
            conversation_id=conversation_id,
            customer_id=customer_id,
            charge_id=charge_id,
            amount_minor=amount.minor,
            currency=amount.currency,
            day=now.date().isoformat(),
            created=iso(now),
            state="reserved",
            counts=counts,
            approved=approved,
            refund_id=None,
            idempotency_key=idempotency_key,
            updated_at=utc_now_iso(),
        )
    )


def settle(conn: Connection, action_id: str, *, refund_id: str | None) -> None:
    """`executed` with the processor's refund id, or `released` when `refund_id` is None."""
    values: dict[str, Any] = {"updated_at": utc_now_iso()}
    values.update({"state": "executed", "refund_id": refund_id} if refund_id else {"state": "released"})
    conn.execute(
        update(gw_ledger).where(gw_ledger.c.action_id == action_id, gw_ledger.c.state == "reserved").values(**values)
    )


__all__ = ["lock", "lock_names", "reserve", "settle", "usage"]
