"""The refund ledger: reservations that make the refund caps atomic.

Inside one write unit of work the gateway locks the customer's and the day's names, computes the
usage (processor refunds ∪ agent reservations), decides, and inserts a `reserved` entry. After the
processor call the entry becomes `executed` (with the refund id) or `released`. A reservation left
`reserved` by a crash is settled by `Gateway.recover()`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from purser.actions.base import iso
from purser.audit.log import utc_now_iso
from purser.domain import AccountSnapshot
from purser.money import Money, sum_money
from purser.policy.fx import spent_in
from purser.policy.guard import RefundUsage
from purser.policy.schema import Policy
from purser.ports.actions import LedgerEntry
from purser.ports.unit_of_work import UnitOfWork


def lock_names(customer_id: str, now: datetime) -> list[str]:
    """The lock rows a refund decision takes: the customer's and the UTC day's."""
    return [f"customer:{customer_id}", f"day:{now.date().isoformat()}"]


def lock(uow: UnitOfWork, customer_id: str, now: datetime) -> None:
    """Take the customer and day locks for the rest of the transaction."""
    uow.lock(lock_names(customer_id, now))


def usage(uow: UnitOfWork, policy: Policy, snapshot: AccountSnapshot, charge_id: str, currency: str) -> RefundUsage:
    """The envelope already used, seen from inside the locked transaction."""
    now = snapshot.now
    since = iso(now - timedelta(days=policy.refunds.per_customer_days)) or ""
    entries = uow.ledger.live_for_customer(snapshot.customer.id)
    exempt = {e.refund_id for e in entries if e.refund_id and not e.counts}
    processor_ids = {r.id for r in snapshot.refunds}
    counted: set[str] = set()
    for refund in snapshot.refunds:
        if (iso(refund.created) or "") >= since and refund.id not in exempt:
            counted.add(refund.id)
    reserved_by_charge: dict[str, int] = {}
    for e in entries:
        if e.refund_id and e.refund_id in processor_ids:
            continue  # already visible in the processor's state
        if e.counts and e.created >= since:
            counted.add(e.refund_id or f"reservation:{e.action_id}")
        if e.amount.currency == currency:
            reserved_by_charge[e.charge_id] = reserved_by_charge.get(e.charge_id, 0) + e.amount.minor
    # The daily budget is account-wide across currencies: every live entry of the day, counted in
    # `currency` at the reference rates (rounded up, so a conversion never loosens the budget).
    spent = uow.ledger.live_on_day(now.date().isoformat())
    return RefundUsage(
        prior_refunds=len(counted),
        spent_today=sum_money([spent_in(amount, currency) for amount in spent], currency),
        reserved_on_charge=Money(reserved_by_charge.get(charge_id, 0), currency),
        reserved_by_charge=reserved_by_charge,
    )


def reserve(
    uow: UnitOfWork,
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
    uow.ledger.reserve(
        LedgerEntry(
            action_id=action_id,
            conversation_id=conversation_id,
            customer_id=customer_id,
            charge_id=charge_id,
            amount=amount,
            day=now.date().isoformat(),
            created=iso(now) or "",
            state="reserved",
            counts=counts,
            approved=approved,
            refund_id=None,
            idempotency_key=idempotency_key,
            updated_at=utc_now_iso(),
        )
    )


def settle(uow: UnitOfWork, action_id: str, *, refund_id: str | None) -> None:
    """`executed` with the processor's refund id, or `released` when `refund_id` is None."""
    uow.ledger.settle(action_id, refund_id=refund_id, updated_at=utc_now_iso())


__all__ = ["lock", "lock_names", "reserve", "settle", "usage"]
