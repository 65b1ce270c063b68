"""The judge: compares the final state of the world with a scenario's `expect` (FORMAT.md).

Judged like tau-bench, by the state the conversation leaves behind, never by the path it took.
Each failed key yields one line `key: expected ..., got ...`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from purser.gym.scenario import Expectations, Scenario
from purser.gym.state import WorldState, customer_subscription
from purser.money import Money


@dataclass(frozen=True, slots=True)
class RaisedApproval:
    """An approval request the gateway raised in the conversation."""

    action: str
    amount: Money | None
    status: str = "pending"


@dataclass
class Conversation:
    """What the runner observed: the agent's events, confirmations given, approvals raised and decided."""

    conversation_id: str = ""
    agent_events: list[dict[str, Any]] = field(default_factory=list)
    customer_events: list[dict[str, Any]] = field(default_factory=list)
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    """{action_id, action, decision, quote} for every confirm event the customer sent."""
    approvals_decided: list[dict[str, Any]] = field(default_factory=list)
    """{approval_id, action_id, action, approve} for every decision of the simulated approver."""
    approvals: list[RaisedApproval] = field(default_factory=list)
    agent_replies: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    """Both sides in order: each event with `from` set to customer, agent or approver."""

    def record_customer(self, event: dict[str, Any]) -> None:
        """A customer event (message or confirm)."""
        self.customer_events.append(event)
        self.log.append({"from": "customer", **event})

    def record_agent(self, events: list[dict[str, Any]]) -> None:
        """The agent's events of one reply."""
        self.agent_events.extend(events)
        self.log.extend({"from": "agent", **ev} for ev in events)

    def agent_text(self) -> str:
        """Everything the customer was shown: messages and the summaries of requests and results."""
        parts = []
        for ev in self.agent_events:
            if ev.get("type") == "message":
                parts.append(str(ev.get("text", "")))
            elif ev.get("type") in ("confirmation_request", "action_result", "approval_pending"):
                parts.append(str(ev.get("summary", "")))
        return "\n".join(parts)

    def handoffs(self) -> list[str]:
        """Reasons of the handoff events, in order."""
        return [str(ev.get("reason")) for ev in self.agent_events if ev.get("type") == "handoff"]


def _fmt_refunds(items: list[tuple[str, Money]]) -> str:
    return "[" + ", ".join(f"{{charge: {c}, amount: {m.amount_str()}}}" for c, m in sorted(items)) + "]"


def _fmt_amounts(items: list[Money]) -> str:
    return "[" + ", ".join(m.amount_str() for m in sorted(items, key=lambda m: (m.currency, m.minor))) + "]"


def new_refunds(before: WorldState, after: WorldState) -> list[tuple[str, Money]]:
    """(charge, amount) of refunds created since `before`."""
    return [(r.charge, r.amount) for rid, r in after.refunds.items() if rid not in before.refunds]


def new_charges(before: WorldState, after: WorldState) -> list[Money]:
    """Amounts of successful charges created since `before`."""
    return [c.amount for cid, c in after.charges.items() if cid not in before.charges and c.status == "succeeded"]


def invoices_paid(before: WorldState, after: WorldState) -> list[str]:
    """Invoices that went from open to paid."""
    return sorted(
        iid
        for iid, inv in after.invoices.items()
        if iid in before.invoices and before.invoices[iid]["status"] == "open" and inv["status"] == "paid"
    )


def judge(scenario: Scenario, before: WorldState, after: WorldState, conv: Conversation) -> list[str]:
    """Every failed expectation of `scenario`, as one line each (empty: passed)."""
    e = scenario.expect
    failures: list[str] = []
    refunds = new_refunds(before, after)
    if e.refunds is not None:
        want = [(r.charge, r.amount) for r in e.refunds]
        if Counter(want) != Counter(refunds):
            failures.append(f"refunds: expected {_fmt_refunds(want)}, got {_fmt_refunds(refunds)}")
    charges = new_charges(before, after)
    if e.charges is not None and Counter(e.charges) != Counter(charges):
        failures.append(f"charges: expected {_fmt_amounts(list(e.charges))}, got {_fmt_amounts(charges)}")
    paid = invoices_paid(before, after)
    if e.invoices_paid is not None and sorted(e.invoices_paid) != paid:
        failures.append(f"invoices_paid: expected {sorted(e.invoices_paid)}, got {paid}")
    sub = customer_subscription(after, scenario.customer)
    if e.subscription is not None:
        for key, want_value in e.subscription.items():
            got = sub[1].get(key) if sub else None
            if got != want_value:
                failures.append(f"subscription.{key}: expected {_show(want_value)}, got {_show(got)}")
    billing = after.billing.get(scenario.customer, {})
    if e.billing is not None:
        for key, want_text in e.billing.items():
            got_text = billing.get(key)
            if _norm(key, got_text) != _norm(key, want_text):
                failures.append(f"billing.{key}: expected {_show(want_text)}, got {_show(got_text)}")
    if e.emails is not None:
        sent = [m for mid, m in after.emails.items() if mid not in before.emails and m.customer == scenario.customer]
        for want_mail in e.emails:
            if not any(
                (want_mail.kind is None or m.kind == want_mail.kind)
                and (want_mail.invoice is None or m.invoice == want_mail.invoice)
                for m in sent
            ):
                got_mail = ", ".join(f"{{kind: {m.kind}, invoice: {m.invoice}}}" for m in sent)
                failures.append(f"emails: expected {want_mail.describe()} to be sent, got [{got_mail}]")
    if e.approvals is not None:
        failures.extend(_approvals(e, conv))
    if e.handoff is not None:
        reasons = conv.handoffs()
        if e.handoff is False and reasons:
            failures.append(f"handoff: expected none, got {reasons}")
        elif e.handoff is True and not reasons:
            failures.append("handoff: expected a handoff, got none")
        elif isinstance(e.handoff, str) and e.handoff not in reasons:
            failures.append(f"handoff: expected reason {e.handoff}, got {reasons or 'none'}")
    text = conv.agent_text().lower()
    for options in e.says:
        if not any(o.lower() in text for o in options):
            failures.append(f"says: expected the agent to say {_alts(options)}, it did not")
    for options in e.never_says:
        said = [o for o in options if o.lower() in text]
        if said:
            failures.append(f"never_says: the agent said {said[0]!r}")
    if e.no_other_writes:
        failures.extend(other_writes(scenario, before, after))
    return failures


def _approvals(e: Expectations, conv: Conversation) -> list[str]:
    assert e.approvals is not None
    raised = list(conv.approvals)
    unmatched = []
    for want in e.approvals:
        hit = next(
            (a for a in raised if a.action == want.action and (want.amount is None or a.amount == want.amount)), None
        )
        if hit is None:
            unmatched.append(want)
        else:
            raised.remove(hit)
    if not unmatched and not raised:
        return []
    want_s = ", ".join(
        f"{{action: {w.action}" + (f", amount: {w.amount.amount_str()}" if w.amount else "") + "}" for w in e.approvals
    )
    got_s = ", ".join(
        f"{{action: {a.action}" + (f", amount: {a.amount.amount_str()}" if a.amount else "") + "}"
        for a in conv.approvals
    )
    return [f"approvals: expected [{want_s}], got [{got_s}]"]


def other_writes(scenario: Scenario, before: WorldState, after: WorldState) -> list[str]:
    """Writes the expectations do not account for (FORMAT.md: `no_other_writes`, default true)."""
    e = scenario.expect
    out: list[str] = []
    if e.refunds is None:
        for charge, amount in new_refunds(before, after):
            out.append(f"no_other_writes: unexpected refund of {amount.amount_str()} on {charge}")
    if e.charges is None:
        for amount in new_charges(before, after):
            out.append(f"no_other_writes: unexpected charge of {amount.amount_str()}")
    for iid, inv in after.invoices.items():
        old = before.invoices.get(iid)
        if old is None or old["status"] == inv["status"]:
            continue
        if e.invoices_paid is not None and iid in e.invoices_paid and inv["status"] == "paid":
            continue
        out.append(f"no_other_writes: invoice {iid} went from {old['status']} to {inv['status']}")
    own = customer_subscription(before, scenario.customer)
    expected_fields = set(e.subscription or {})
    if "status" in expected_fields:
        expected_fields.add("resumes_at")  # pausing and resuming move the resume date with the status
    recovered = _recovers(e.invoices_paid, after)
    for sid, sub in after.subscriptions.items():
        old_sub = before.subscriptions.get(sid)
        if old_sub is None:
            out.append(f"no_other_writes: subscription {sid} was created")
            continue
        for key, value in sub.items():
            if old_sub.get(key) == value:
                continue
            if own is not None and sid == own[0] and key in expected_fields:
                continue
            own_status = own is not None and sid == own[0] and key == "status"
            if own_status and recovered and old_sub[key] in _UNPAID_STATUSES and value == "active":
                continue  # paying the overdue invoice the scenario expects paid reactivates the plan
            out.append(
                f"no_other_writes: subscription {sid} {key} changed from {_show(old_sub[key])} to {_show(value)}"
            )
    expected_billing = set(e.billing or {})
    if any(k.startswith("address.") for k in expected_billing):
        expected_billing.add("address.*")  # a new address replaces the old one as a whole
    for cid, fields in after.billing.items():
        old_fields = before.billing.get(cid, {})
        for key, value in fields.items():
            if old_fields.get(key) == value:
                continue
            if cid == scenario.customer and (
                key in expected_billing or (key.startswith("address.") and "address.*" in expected_billing)
            ):
                continue
            out.append(
                f"no_other_writes: billing {key} of {cid} changed from {_show(old_fields.get(key))} to {_show(value)}"
            )
    return out


_UNPAID_STATUSES = frozenset({"past_due", "unpaid"})
"""Subscription statuses an overdue invoice holds; paying it returns the subscription to active."""


def _recovers(invoices_paid: tuple[str, ...] | None, after: WorldState) -> bool:
    """Some invoice the scenario expects paid is paid at the end (its subscription may become active)."""
    return any(after.invoices.get(iid, {}).get("status") == "paid" for iid in invoices_paid or ())


def _norm(key: str, value: str | None) -> str | None:
    if value is None:
        return None
    if key == "vat_id":
        return "".join(ch for ch in value.upper() if ch.isalnum())
    if key in ("address.country", "email"):
        return value.strip().upper() if key == "address.country" else value.strip().lower()
    return value.strip()


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _alts(options: tuple[str, ...]) -> str:
    return repr(options[0]) if len(options) == 1 else "one of " + ", ".join(repr(o) for o in options)


__all__ = [
    "Conversation",
    "RaisedApproval",
    "invoices_paid",
    "judge",
    "new_charges",
    "new_refunds",
    "other_writes",
]
