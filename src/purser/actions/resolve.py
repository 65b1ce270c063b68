"""Resolve the ids and names a model passes against the verified customer's snapshot.

Anything that is not on this customer's account (unknown, or another customer's) resolves to the
same refusal, `not_yours`, so the answer never reveals whether someone else's object exists.
"""

from __future__ import annotations

from purser.actions.base import Refusal
from purser.domain import AccountSnapshot, Charge, Invoice, InvoiceStatus, Plan, Subscription, SubscriptionStatus


def charge(snapshot: AccountSnapshot, charge_id: str) -> Charge:
    """This customer's charge `charge_id`, or `Refusal("not_yours")`."""
    found = snapshot.charge(charge_id.strip())
    if found is None:
        raise Refusal("not_yours", f"There is no charge {charge_id!r} on your account.")
    return found


def invoice(snapshot: AccountSnapshot, ref: str) -> Invoice:
    """This customer's invoice by id or number (case-insensitive), or `Refusal("not_yours")`."""
    key = ref.strip()
    found = snapshot.invoice(key)
    if found is None:
        found = next((i for i in snapshot.invoices if i.number.lower() == key.lower()), None)
    if found is None:
        raise Refusal("not_yours", f"There is no invoice {ref!r} on your account.")
    return found


def oldest_open_invoice(snapshot: AccountSnapshot) -> Invoice:
    """The oldest open invoice, or `Refusal("nothing_due")`."""
    open_invoices = sorted((i for i in snapshot.invoices if i.status is InvoiceStatus.OPEN), key=lambda i: i.created)
    if not open_invoices:
        raise Refusal("nothing_due", "You have no open invoice to pay.")
    return open_invoices[0]


def plan(snapshot: AccountSnapshot, ref: str) -> Plan:
    """A catalogue plan by id or by name, case-insensitively. A name shared by several plans
    (Pro monthly and Pro yearly) picks the one with the current plan's interval."""
    key = ref.strip().lower()
    plans = list(snapshot.plans)
    by_id = [p for p in plans if p.id.lower() == key]
    if by_id:
        return by_id[0]
    by_name = [p for p in plans if p.name.lower() == key or f"{p.name} {p.interval}ly".lower() == key]
    if len(by_name) > 1 and snapshot.plan is not None:
        same_interval = [p for p in by_name if p.interval == snapshot.plan.interval]
        by_name = same_interval or by_name
    if len(by_name) == 1:
        return by_name[0]
    if not by_name:
        names = ", ".join(f"{p.name} ({p.id})" for p in plans) or "none"
        raise Refusal("unknown_plan", f"There is no plan {ref!r}. Plans: {names}.", status="invalid")
    ids = ", ".join(p.id for p in by_name)
    raise Refusal("ambiguous_plan", f"Several plans are called {ref!r}: {ids}. Name one by id.", status="invalid")


def live_subscription(snapshot: AccountSnapshot) -> tuple[Subscription, Plan]:
    """The customer's subscription that is not canceled, with its plan, or `Refusal("no_subscription")`."""
    sub, current = snapshot.subscription, snapshot.plan
    if sub is None or current is None or sub.status is SubscriptionStatus.CANCELED:
        raise Refusal("no_subscription", "You have no active subscription.")
    return sub, current


__all__ = ["charge", "invoice", "live_subscription", "oldest_open_invoice", "plan"]
