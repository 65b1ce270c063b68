"""Validation of a scenario's `expect` block (FORMAT.md, "Expectations").

References are checked against the world: a refund names one of its charges, `invoices_paid` and
`emails[].invoice` its invoices (by id or number), `subscription.plan` one of its plans. Amounts are
read in the currency they will be compared in (a refund's in its charge's, the others in the
customer's), so `"1500.50"` for JPY is refused here and not at the end of a run.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from purser.gym._validate import Checker
from purser.gym.scenario import (
    BILLING_FIELDS,
    HANDOFF_REASONS,
    SUBSCRIPTION_FIELDS,
    WRITE_ACTIONS,
    ApprovalExpectation,
    EmailExpectation,
    Expectations,
    RefundExpectation,
)
from purser.money import Money
from purser.worlds import World

EXPECT_KEYS: tuple[str, ...] = (
    "refunds",
    "charges",
    "invoices_paid",
    "subscription",
    "billing",
    "emails",
    "approvals",
    "handoff",
    "no_other_writes",
    "says",
    "never_says",
)
SUBSCRIPTION_STATUSES: tuple[str, ...] = ("trialing", "active", "past_due", "unpaid", "paused", "canceled")


def parse_expect(check: Checker, value: Any, world: World | None, currency: str) -> Expectations | None:
    """Validate `expect`; record problems on `check` and return None when there are any."""
    if value is None:
        value = {}
    data = check.mapping("expect", value, "of expectation keys")
    if data is None:
        return None
    before = len(check.problems)
    for key in data:
        if key not in EXPECT_KEYS:
            check.unknown(f"expect.{key}", EXPECT_KEYS)
    charges_by_id: dict[str, Money] = {}
    invoices: dict[str, str] = {}  # id or number -> id
    plans: list[str] = []
    if world is not None:
        plans = [p.id for p in world.plans]
        for c in world.customers:
            for ch in c.charges:
                charges_by_id[ch.id] = ch.amount
            for inv in c.invoices:
                invoices[inv.id] = inv.id
                invoices.setdefault(inv.number, inv.id)

    out: dict[str, Any] = {}
    if "refunds" in data:
        out["refunds"] = _refunds(check, data["refunds"], charges_by_id, world is not None)
    if "charges" in data:
        items = check.items("expect.charges", data["charges"], "of {amount: '...'} for each new charge")
        charges: list[Money] = []
        for i, item in enumerate(items or []):
            m = _only(check, f"expect.charges[{i}]", item, required=("amount",), optional=())
            amount = check.amount(f"expect.charges[{i}].amount", m["amount"], currency) if m else None
            if amount is not None:
                charges.append(amount)
        out["charges"] = tuple(charges)
    if "invoices_paid" in data:
        items = check.items("expect.invoices_paid", data["invoices_paid"], "of invoice ids")
        paid: list[str] = []
        for i, item in enumerate(items or []):
            ref = _invoice(check, f"expect.invoices_paid[{i}]", item, invoices, world is not None)
            if ref is not None:
                paid.append(ref)
        out["invoices_paid"] = tuple(paid)
    if "subscription" in data:
        out["subscription"] = _subscription(check, data["subscription"], plans, world is not None)
    if "billing" in data:
        out["billing"] = _billing(check, data["billing"])
    if "emails" in data:
        out["emails"] = _emails(check, data["emails"], invoices, world is not None)
    if "approvals" in data:
        out["approvals"] = _approvals(check, data["approvals"], currency)
    if "handoff" in data:
        out["handoff"] = _handoff(check, data["handoff"])
    if "no_other_writes" in data:
        out["no_other_writes"] = check.yes_no("expect.no_other_writes", data["no_other_writes"])
    for key in ("says", "never_says"):
        if key in data:
            out[key] = _phrases(check, f"expect.{key}", data[key])
    if len(check.problems) > before:
        return None
    return Expectations(**out)


def _only(
    check: Checker, key: str, value: Any, *, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any] | None:
    allowed = required + optional
    m = check.mapping(key, value, "with " + ", ".join(allowed))
    if m is None:
        return None
    ok = True
    for k in m:
        if k not in allowed:
            check.unknown(f"{key}.{k}", allowed)
            ok = False
    for k in required:
        if k not in m:
            check.problems.append(f"{check.source}: {key}.{k}: missing required key")
            ok = False
    return m if ok else None


def _refunds(check: Checker, value: Any, charges: dict[str, Money], have_world: bool) -> tuple[RefundExpectation, ...]:
    items = check.items("expect.refunds", value, "of {charge: ch_..., amount: '...'}")
    out: list[RefundExpectation] = []
    for i, item in enumerate(items or []):
        key = f"expect.refunds[{i}]"
        m = _only(check, key, item, required=("charge", "amount"), optional=())
        if m is None:
            continue
        charge = check.text(f"{key}.charge", m["charge"])
        if charge is None or not have_world:
            continue
        if charge not in charges:
            check.bad(f"{key}.charge", "the id of a charge in the world", charge)
            continue
        amount = check.amount(f"{key}.amount", m["amount"], charges[charge].currency)
        if amount is not None:
            out.append(RefundExpectation(charge=charge, amount=amount))
    return tuple(out)


def _invoice(check: Checker, key: str, value: Any, invoices: dict[str, str], have_world: bool) -> str | None:
    ref = check.text(key, value)
    if ref is None or not have_world:
        return None
    if ref not in invoices:
        check.bad(key, "the id or number of an invoice in the world", ref)
        return None
    return invoices[ref]


def _subscription(check: Checker, value: Any, plans: list[str], have_world: bool) -> dict[str, Any]:
    m = check.mapping("expect.subscription", value, "of " + ", ".join(SUBSCRIPTION_FIELDS))
    out: dict[str, Any] = {}
    for field, v in (m or {}).items():
        key = f"expect.subscription.{field}"
        if field not in SUBSCRIPTION_FIELDS:
            check.unknown(key, SUBSCRIPTION_FIELDS)
        elif field in ("plan", "scheduled_plan"):
            if v is None and field == "scheduled_plan":
                out[field] = None
            elif have_world and not (isinstance(v, str) and v in plans):
                what = "one of the world's plans (" + ", ".join(plans) + ")"
                check.bad(key, what + (" or null" if field == "scheduled_plan" else ""), v)
            else:
                out[field] = v
        elif field in ("quantity", "scheduled_quantity"):
            if v is None and field == "scheduled_quantity":
                out[field] = None
            else:
                q = check.positive_int(key, v)
                if q is not None:
                    out[field] = q
        elif field == "status":
            s = check.choice(key, v, SUBSCRIPTION_STATUSES)
            if s is not None:
                out[field] = s
        elif field == "cancel_at_period_end":
            flag = check.yes_no(key, v)
            if flag is not None:
                out[field] = flag
        else:  # resumes_at
            d = _date(check, key, v)
            if d is not False:
                out[field] = d
    return out


def _date(check: Checker, key: str, value: Any) -> date | bool | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
        except ValueError:
            pass
    check.bad(key, "a date such as '2027-03-01' (or null)", value)
    return False


def _billing(check: Checker, value: Any) -> dict[str, str | None]:
    m = check.mapping("expect.billing", value, "of " + ", ".join(BILLING_FIELDS))
    flat: dict[str, Any] = {}
    for field, v in (m or {}).items():
        if field == "address" and isinstance(v, dict):
            for sub, sv in v.items():
                flat[f"address.{sub}"] = sv
        else:
            flat[str(field)] = v
    out: dict[str, str | None] = {}
    for field, v in flat.items():
        key = f"expect.billing.{field}"
        if field not in BILLING_FIELDS:
            check.unknown(key, BILLING_FIELDS)
        elif v is None:
            out[field] = None
        else:
            t = check.text(key, v)
            if t is not None:
                out[field] = t
    return out


def _emails(check: Checker, value: Any, invoices: dict[str, str], have_world: bool) -> tuple[EmailExpectation, ...]:
    items = check.items("expect.emails", value, "of {kind: ..., invoice: ...}")
    out: list[EmailExpectation] = []
    for i, item in enumerate(items or []):
        key = f"expect.emails[{i}]"
        m = _only(check, key, item, required=(), optional=("kind", "invoice"))
        if m is None:
            continue
        if not m:
            check.bad(key, "at least one of kind and invoice", m)
            continue
        kind = check.text(f"{key}.kind", m["kind"]) if "kind" in m else None
        invoice = _invoice(check, f"{key}.invoice", m["invoice"], invoices, have_world) if "invoice" in m else None
        if ("kind" in m and kind is None) or ("invoice" in m and invoice is None):
            continue
        out.append(EmailExpectation(kind=kind, invoice=invoice))
    return tuple(out)


def _approvals(check: Checker, value: Any, currency: str) -> tuple[ApprovalExpectation, ...]:
    items = check.items("expect.approvals", value, "of {action: ..., amount: '...'}")
    out: list[ApprovalExpectation] = []
    for i, item in enumerate(items or []):
        key = f"expect.approvals[{i}]"
        m = _only(check, key, item, required=("action",), optional=("amount",))
        if m is None:
            continue
        action = check.choice(f"{key}.action", m["action"], WRITE_ACTIONS)
        amount = check.amount(f"{key}.amount", m["amount"], currency) if m.get("amount") is not None else None
        if action is not None and (amount is not None or m.get("amount") is None):
            out.append(ApprovalExpectation(action=action, amount=amount))
    return tuple(out)


def _handoff(check: Checker, value: Any) -> bool | str | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    if isinstance(value, str) and value in HANDOFF_REASONS:
        return value
    check.bad("expect.handoff", "yes, no or a reason: " + ", ".join(HANDOFF_REASONS), value)
    return None


def _phrases(check: Checker, key: str, value: Any) -> tuple[tuple[str, ...], ...]:
    items = check.items(key, value, "of strings, or of lists of alternative strings")
    out: list[tuple[str, ...]] = []
    for i, item in enumerate(items or []):
        if isinstance(item, list):
            alts = [check.text(f"{key}[{i}][{j}]", a) for j, a in enumerate(item)]
            if not item:
                check.bad(f"{key}[{i}]", "a non-empty list of alternative strings", item)
            elif all(a is not None for a in alts):
                out.append(tuple(a for a in alts if a is not None))
        else:
            t = check.text(f"{key}[{i}]", item)
            if t is not None:
                out.append((t,))
    return tuple(out)


__all__ = [
    "EXPECT_KEYS",
    "SUBSCRIPTION_STATUSES",
    "parse_expect",
]
