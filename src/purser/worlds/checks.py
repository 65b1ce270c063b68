"""Cross-checks of a world: references resolve, ids are unique, amounts add up, nothing is in the future.

Each check returns `(key path relative to the checked object, expectation)` pairs; the schema raises
them together as one `CrossCheckError` so that every problem is reported at once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from purser.domain.dates import iso_utc
from purser.money import InvalidAmount, Money, normalize_currency

if TYPE_CHECKING:
    from purser.worlds.schema import World, WorldCustomer

Issues = list[tuple[tuple[str | int, ...], str]]


def _valid_currency(value: Any) -> str | None:
    try:
        return normalize_currency(value) if isinstance(value, str) else None
    except InvalidAmount:
        return None


def _with_currency(item: Any, currency: str | None) -> Any:
    if isinstance(item, dict) and "currency" not in item and currency is not None:
        return {**item, "currency": currency}
    return item


def resolve_currencies(data: Any) -> Any:
    """Give every plan, invoice, charge and refund of the raw mapping its effective `currency`.

    The world's currency is the default; a charge without one takes its invoice's and a refund its
    charge's. The input is not modified; malformed shapes are left for the field validation to report.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    default = _valid_currency(data.get("currency", "usd"))
    if isinstance(data.get("plans"), list):
        data["plans"] = [_with_currency(p, default) for p in data["plans"]]
    if isinstance(data.get("customers"), list):
        data["customers"] = [_resolve_customer(c, default) for c in data["customers"]]
    return data


def _currency_of(item: Any, default: str | None) -> str | None:
    if isinstance(item, dict) and "currency" in item:
        return _valid_currency(item["currency"])
    return default


def _resolve_customer(customer: Any, default: str | None) -> Any:
    if not isinstance(customer, dict):
        return customer
    customer = dict(customer)
    invoice_cur: dict[Any, str | None] = {}
    if isinstance(customer.get("invoices"), list):
        customer["invoices"] = [_with_currency(i, default) for i in customer["invoices"]]
        for inv in customer["invoices"]:
            if isinstance(inv, dict) and isinstance(inv.get("id"), str):
                invoice_cur[inv["id"]] = _currency_of(inv, default)
    charge_cur: dict[Any, str | None] = {}
    if isinstance(customer.get("charges"), list):
        charges = []
        for ch in customer["charges"]:
            own = default
            if isinstance(ch, dict) and isinstance(ch.get("invoice"), str) and ch["invoice"] in invoice_cur:
                own = invoice_cur[ch["invoice"]]
            charges.append(_with_currency(ch, own))
        customer["charges"] = charges
        for ch in charges:
            if isinstance(ch, dict) and isinstance(ch.get("id"), str):
                charge_cur[ch["id"]] = _currency_of(ch, default)
    if isinstance(customer.get("refunds"), list):
        refunds = []
        for rf in customer["refunds"]:
            own = default
            if isinstance(rf, dict) and isinstance(rf.get("charge"), str) and rf["charge"] in charge_cur:
                own = charge_cur[rf["charge"]]
            refunds.append(_with_currency(rf, own))
        customer["refunds"] = refunds
    return customer


def _duplicates(ids: list[str], key: str, where: str, issues: Issues) -> None:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            issues.append(((where, index, key), f"duplicate {key} {value!r}: expected unique {key}s"))
        seen.add(value)


def check_customer(c: WorldCustomer) -> Issues:
    """References inside one customer: charges → invoices and cards, refunds → charges, paid invoices."""
    issues: Issues = []
    _duplicates([pm.id for pm in c.payment_methods], "id", "payment_methods", issues)
    _duplicates([i.id for i in c.invoices], "id", "invoices", issues)
    _duplicates([ch.id for ch in c.charges], "id", "charges", issues)
    _duplicates([r.id for r in c.refunds], "id", "refunds", issues)
    defaults = [i for i, pm in enumerate(c.payment_methods) if pm.default]
    for index in defaults[1:]:
        issues.append((("payment_methods", index, "default"), "expected at most one default payment method"))
    invoices = {i.id: i for i in c.invoices}
    cards = {pm.id for pm in c.payment_methods}
    paid_by: Counter[str] = Counter()
    for index, ch in enumerate(c.charges):
        if ch.invoice is not None:
            inv = invoices.get(ch.invoice)
            if inv is None:
                issues.append(
                    (("charges", index, "invoice"), f"expected one of this customer's invoices, got {ch.invoice!r}")
                )
            else:
                paid_by[inv.id] += 1
                if inv.amount.currency != ch.amount.currency:
                    issues.append(
                        (
                            ("charges", index, "currency"),
                            f"expected {inv.amount.currency}, the currency of invoice {inv.id!r}",
                        )
                    )
        if ch.payment_method is not None and ch.payment_method not in cards:
            issues.append(
                (
                    ("charges", index, "payment_method"),
                    f"expected one of this customer's payment methods, got {ch.payment_method!r}",
                )
            )
    for index, inv in enumerate(c.invoices):
        if inv.status == "paid" and not paid_by[inv.id] and not inv.amount.is_zero:
            issues.append((("invoices", index, "status"), "a paid invoice needs at least one charge with its id"))
    charges = {ch.id: ch for ch in c.charges}
    refunded: dict[str, Money] = {}
    for index, rf in enumerate(c.refunds):
        paid = charges.get(rf.charge)
        if paid is None:
            issues.append((("refunds", index, "charge"), f"expected one of this customer's charges, got {rf.charge!r}"))
            continue
        ch = paid
        if rf.amount.currency != ch.amount.currency:
            issues.append((("refunds", index, "currency"), f"expected {ch.amount.currency}, the charge's currency"))
            continue
        if rf.amount.is_zero:
            issues.append((("refunds", index, "amount"), "expected a positive amount"))
            continue
        total = refunded.get(ch.id, Money.zero(ch.amount.currency)) + rf.amount
        refunded[ch.id] = total
        if total > ch.amount:
            issues.append(
                (
                    ("refunds", index, "amount"),
                    f"refunds of charge {ch.id!r} add up to {total.amount_str()}, "
                    f"expected at most the charge's {ch.amount.amount_str()}",
                )
            )
        if rf.created < ch.created:
            issues.append((("refunds", index, "created"), "expected a time at or after the charge's created"))
    return issues


def check_world(world: World) -> Issues:
    """World-wide checks: unique ids across customers, subscriptions reference existing plans."""
    issues: Issues = []
    _duplicates([p.id for p in world.plans], "id", "plans", issues)
    _duplicates([c.id for c in world.customers], "id", "customers", issues)
    plans = {p.id for p in world.plans}
    seen: dict[str, dict[str, str]] = {}
    for ci, c in enumerate(world.customers):
        if c.subscription is not None and c.subscription.plan not in plans:
            issues.append(
                (
                    ("customers", ci, "subscription", "plan"),
                    f"expected one of the world's plans ({', '.join(sorted(plans)) or 'none defined'}), "
                    f"got {c.subscription.plan!r}",
                )
            )
        groups: list[tuple[str, str, list[str]]] = [
            ("payment_methods", "id", [pm.id for pm in c.payment_methods]),
            ("subscription", "id", [c.subscription.id] if c.subscription else []),
            ("invoices", "id", [i.id for i in c.invoices]),
            ("invoices", "number", [i.number for i in c.invoices]),
            ("charges", "id", [ch.id for ch in c.charges]),
            ("refunds", "id", [r.id for r in c.refunds]),
        ]
        for group, key, values in groups:
            owners = seen.setdefault(f"{group}.{key}", {})
            for index, value in enumerate(values):
                if value in owners and owners[value] != c.id:
                    loc: tuple[str | int, ...] = (
                        ("customers", ci, group, key)
                        if group == "subscription"
                        else ("customers", ci, group, index, key)
                    )
                    issues.append((loc, f"{value!r} is already used by customer {owners[value]!r}: expected unique"))
                owners.setdefault(value, c.id)
    return issues


LIVE_STATUSES = ("trialing", "active", "past_due", "unpaid")
"""Statuses whose current period must contain `now` (paused and canceled periods may lie in the past)."""


def check_not_after(world: World, now: datetime) -> Issues:
    """Everything in the world was created at or before `now`; a live subscription's period contains `now`."""
    from purser.worlds.loader import period_end

    issues: Issues = []
    stamp = iso_utc(now)
    late = f"expected a time at or before now ({stamp})"
    plans = {p.id: p for p in world.plans}
    for ci, c in enumerate(world.customers):
        base: tuple[str | int, ...] = ("customers", ci)
        sub = c.subscription
        if sub is not None:
            if sub.created > now:
                issues.append(((*base, "subscription", "created"), late))
            if sub.current_period_start > now:
                issues.append(((*base, "subscription", "current_period_start"), late))
            elif sub.status in LIVE_STATUSES and sub.plan in plans:
                end = period_end(sub.created, sub.current_period_start, plans[sub.plan].interval)
                if end <= now:
                    issues.append(
                        (
                            (*base, "subscription", "current_period_start"),
                            f"expected the current period to contain now ({stamp}) for a {sub.status} "
                            f"subscription, but it ended {iso_utc(end)}",
                        )
                    )
        for group in ("invoices", "charges", "refunds"):
            for index, item in enumerate(getattr(c, group)):
                if item.created > now:
                    issues.append(((*base, group, index, "created"), late))
    return issues


__all__ = [
    "LIVE_STATUSES",
    "Issues",
    "check_customer",
    "check_not_after",
    "check_world",
    "resolve_currencies",
]
