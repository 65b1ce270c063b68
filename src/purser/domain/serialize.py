"""The one serializer of an `AccountSnapshot` to JSON.

Two views of the same snapshot, built from the same pieces:

- `agent`: the `lookup_account` result the model sees (CONTRACTS.md, "Tool (action) results"):
  the default card only, the most recent `RECENT` charges, invoices and refunds, the plans.
- `full`: `purser customer show --json` (DESIGN §8): everything, every card, invoice lines,
  disputes and the emails sent.

Amounts are decimal strings in major units next to their `currency`; times are ISO 8601 UTC
(`purser.domain.dates.iso_utc`).

The agent view is built every turn (the account in the model's context), mostly from entities the
processor hands out again unchanged (the sandbox maps an unchanged row to the very same immutable
object). Its per-entity pieces are therefore kept, keyed by the entity's identity (and whatever else
a piece depends on), and shared between views: like the view itself, they are never written to.
They are kept per account (`purser.memo.PerAccount`: what the account's last view used, for the
`ACCOUNTS_KEPT` most recently viewed accounts), and the plans' pieces once for all accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from purser.domain.dates import iso_utc
from purser.domain.entities import (
    Address,
    Charge,
    Customer,
    Dispute,
    Email,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    Plan,
    Refund,
)
from purser.domain.snapshot import AccountSnapshot
from purser.memo import PerAccount, Reading
from purser.money import Money

__all__ = ["RECENT", "SnapshotView", "plan_json", "snapshot_json"]

RECENT = 24
"""How many charges, invoices and refunds the agent view lists (newest first)."""

SnapshotView = Literal["agent", "full"]
"""Which JSON of the snapshot: the model's `lookup_account` or the operator's `customer show`."""


ACCOUNTS_KEPT = 256
"""Accounts whose last agent view's pieces are kept (the most recently viewed)."""
PLAN_PIECES_LIMIT = 256
"""Plan pieces kept for every account (then the memo starts afresh): far more than a catalogue."""

_PIECES: PerAccount[tuple[int, int, Any], tuple[object, object, Any]] = PerAccount(ACCOUNTS_KEPT)
_PLAN_PIECES: dict[int, tuple[Plan, dict[str, Any]]] = {}


def forget_pieces() -> None:
    """Forget every kept piece (tests; measurements of cold views)."""
    _PIECES.clear()
    _PLAN_PIECES.clear()


def _piece(
    kept: Reading[tuple[int, int, Any], tuple[object, object, Any]],
    entity: object,
    other: object,
    extra: Any,
    build: Callable[..., Any],
    *args: Any,
) -> Any:
    """`build(*args)`, or the piece the account's previous view built for `entity` and `other` (by
    identity: the entry holds both, so their ids are not reused while kept) and the hashable `extra`
    the piece also depends on. Entities are immutable, so a kept piece never goes stale."""
    key = (id(entity), id(other), extra)
    found = kept.get(key)
    if found is None or found[0] is not entity or found[1] is not other:
        found = (entity, other, build(*args))
    kept.keep(key, found)
    return found[2]


def _plan_piece(plan: Plan) -> dict[str, Any]:
    found = _PLAN_PIECES.get(id(plan))
    if found is not None and found[0] is plan:
        return found[1]
    piece = plan_json(plan)
    if len(_PLAN_PIECES) >= PLAN_PIECES_LIMIT:
        _PLAN_PIECES.clear()
    _PLAN_PIECES[id(plan)] = (plan, piece)
    return piece


def _amount(value: Money | None) -> str | None:
    return value.amount_str() if value is not None else None


def plan_json(plan: Plan) -> dict[str, Any]:
    """{"id","name","amount","currency","interval","per_seat"}."""
    return {
        "id": plan.id,
        "name": plan.name,
        "amount": plan.amount.amount_str(),
        "currency": plan.amount.currency,
        "interval": str(plan.interval),
        "per_seat": plan.per_seat,
    }


def _address(a: Address) -> dict[str, Any]:
    return {"line1": a.line1, "city": a.city, "postal_code": a.postal_code, "country": a.country}


def _card(pm: PaymentMethod, s: AccountSnapshot, full: bool) -> dict[str, Any]:
    card: dict[str, Any] = {
        "id": pm.id,
        "brand": pm.brand,
        "last4": pm.last4,
        "exp": f"{pm.exp_year:04d}-{pm.exp_month:02d}",
        "expired": pm.expired_at(s.now),
    }
    if full:
        card.update({"default": pm.is_default, "behavior": str(pm.behavior)})
    return card


def _subscription(s: AccountSnapshot, full: bool) -> dict[str, Any] | None:
    sub = s.subscription
    if sub is None or (not full and s.plan is None):
        return None
    if not full:
        assert s.plan is not None
        return {
            "id": sub.id,
            "plan": plan_json(s.plan),
            "quantity": sub.quantity,
            "status": str(sub.status),
            "current_period_start": iso_utc(sub.current_period_start),
            "current_period_end": iso_utc(sub.current_period_end),
            "cancel_at_period_end": sub.cancel_at_period_end,
            "resumes_at": iso_utc(sub.resumes_at),
            "trial_end": iso_utc(sub.trial_end),
            "scheduled_plan": sub.scheduled_plan_id,
            "scheduled_quantity": sub.scheduled_quantity,
        }
    return {
        "id": sub.id,
        "plan": plan_json(s.plan) if s.plan is not None else None,
        "quantity": sub.quantity,
        "status": str(sub.status),
        "created": iso_utc(sub.created),
        "current_period_start": iso_utc(sub.current_period_start),
        "current_period_end": iso_utc(sub.current_period_end),
        "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": iso_utc(sub.canceled_at),
        "ended_at": iso_utc(sub.ended_at),
        "trial_end": iso_utc(sub.trial_end),
        "pause_starts_at": iso_utc(sub.pause_starts_at),
        "resumes_at": iso_utc(sub.resumes_at),
        "scheduled_plan": sub.scheduled_plan_id,
        "scheduled_quantity": sub.scheduled_quantity,
    }


def _next_invoice(s: AccountSnapshot) -> dict[str, Any] | None:
    if s.next_invoice_date is None or s.next_invoice_amount is None:
        return None
    return {
        "date": iso_utc(s.next_invoice_date),
        "amount": s.next_invoice_amount.amount_str(),
        "currency": s.next_invoice_amount.currency,
    }


def _past_due(s: AccountSnapshot, full: bool) -> dict[str, Any] | None:
    # The model's view lists a balance owed only; the operator's shows any non-zero one.
    if s.past_due is None or (s.past_due.is_zero if full else s.past_due.minor <= 0):
        return None
    due: dict[str, Any] = {"amount": s.past_due.amount_str(), "currency": s.past_due.currency}
    if not full:
        due["invoices"] = [i.id for i in s.invoices if i.status is InvoiceStatus.OPEN]
    return due


def _charge(s: AccountSnapshot, ch: Charge, full: bool) -> dict[str, Any]:
    refunded = (ch.amount_refunded or Money.zero(ch.amount.currency)).amount_str()
    if not full:
        inv = s.invoice(ch.invoice_id) if ch.invoice_id else None
        return {
            "id": ch.id,
            "amount": ch.amount.amount_str(),
            "currency": ch.amount.currency,
            "created": iso_utc(ch.created),
            "invoice": ch.invoice_id,
            "invoice_number": inv.number if inv else None,
            "status": str(ch.status),
            "refunded": refunded,
            "refundable": ch.refundable.amount_str(),
            "disputed": ch.disputed,
        }
    return {
        "id": ch.id,
        "amount": ch.amount.amount_str(),
        "currency": ch.amount.currency,
        "created": iso_utc(ch.created),
        "status": str(ch.status),
        "invoice": ch.invoice_id,
        "payment_method": ch.payment_method_id,
        "refunded": refunded,
        "refundable": ch.refundable.amount_str(),
        "disputed": ch.disputed,
        "failure_code": ch.failure_code,
    }


def _invoice(i: Invoice, full: bool) -> dict[str, Any]:
    if not full:
        return {
            "id": i.id,
            "number": i.number,
            "created": iso_utc(i.created),
            "total": i.total.amount_str(),
            "tax": i.tax.amount_str(),
            "currency": i.total.currency,
            "status": str(i.status),
            "attempts": i.attempts,
            "next_payment_attempt": iso_utc(i.next_payment_attempt),
        }
    return {
        "id": i.id,
        "number": i.number,
        "status": str(i.status),
        "created": iso_utc(i.created),
        "subtotal": _amount(i.subtotal),
        "tax": _amount(i.tax),
        "total": _amount(i.total),
        "amount_paid": _amount(i.amount_paid),
        "currency": i.total.currency,
        "attempts": i.attempts,
        "next_payment_attempt": iso_utc(i.next_payment_attempt),
        "tax_note": i.tax_note,
        "subscription": i.subscription_id,
        "lines": [
            {
                "description": line.description,
                "amount": _amount(line.amount),
                "quantity": line.quantity,
                "period_start": iso_utc(line.period_start),
                "period_end": iso_utc(line.period_end),
                "proration": line.proration,
                "plan": line.plan_id,
            }
            for line in i.lines
        ],
    }


def _refund(r: Refund, full: bool) -> dict[str, Any]:
    refund: dict[str, Any] = {
        "id": r.id,
        "charge": r.charge_id,
        "amount": r.amount.amount_str(),
        "currency": r.amount.currency,
        "created": iso_utc(r.created),
    }
    if full:
        refund["reason"] = r.reason
    return refund


def _dispute(d: Dispute) -> dict[str, Any]:
    return {
        "id": d.id,
        "charge": d.charge_id,
        "amount": d.amount.amount_str(),
        "currency": d.amount.currency,
        "status": d.status,
        "reason": d.reason,
        "created": iso_utc(d.created),
    }


def _email(e: Email) -> dict[str, Any]:
    return {
        "id": e.id,
        "to": e.to,
        "kind": e.kind,
        "subject": e.subject,
        "sent_at": iso_utc(e.sent_at),
        "invoice": e.invoice_id,
        "attachment": e.attachment_name,
    }


def snapshot_json(snapshot: AccountSnapshot, view: SnapshotView = "agent") -> dict[str, Any]:
    """The snapshot as JSON: the model's `lookup_account` result (`agent`) or the whole state (`full`)."""
    s = snapshot
    c = s.customer
    if view == "agent":
        return _agent_view(s)
    if view != "full":
        raise ValueError(f"unknown snapshot view {view!r}: expected agent or full")
    return {
        "now": iso_utc(s.now),
        "customer": {"id": c.id, "name": c.name, "email": c.email, "created": iso_utc(c.created)},
        "billing": {"name": c.name, "email": c.email, "address": _address(c.address), "vat_id": c.vat_id},
        "balance": {"amount": _amount(c.balance), "currency": c.balance.currency} if c.balance else None,
        "subscription": _subscription(s, True),
        "next_invoice": _next_invoice(s),
        "past_due": _past_due(s, True),
        "payment_methods": [_card(pm, s, True) for pm in s.payment_methods],
        "invoices": [_invoice(i, True) for i in s.invoices],
        "charges": [_charge(s, ch, True) for ch in s.charges],
        "refunds": [_refund(r, True) for r in s.refunds],
        "disputes": [_dispute(d) for d in s.disputes],
        "emails": [_email(e) for e in s.emails],
    }


def _agent_view(s: AccountSnapshot) -> dict[str, Any]:
    # The `agent` view, its pieces kept per entity (see the module docstring).
    with _PIECES.reading(s.customer.id) as kept:
        pm = s.default_payment_method
        charges = s.charges[:RECENT]
        numbers = {i.id: i.number for i in s.invoices} if charges else {}
        return {
            "now": iso_utc(s.now),
            "customer": _piece(kept, s.customer, None, None, _customer_agent, s.customer),
            "subscription": _piece(kept, s.subscription, s.plan, None, _subscription, s, False)
            if s.subscription is not None and s.plan is not None
            else None,
            "next_invoice": _next_invoice(s),
            "payment_method": None if pm is None else _piece(kept, pm, None, pm.expired_at(s.now), _card, pm, s, False),
            "past_due": _past_due(s, False),
            # A charge's piece shows its invoice's number, which is part of its key.
            "charges": [
                _piece(kept, ch, None, numbers.get(ch.invoice_id) if ch.invoice_id else None, _charge, s, ch, False)
                for ch in charges
            ],
            "invoices": [_piece(kept, i, None, None, _invoice, i, False) for i in s.invoices[:RECENT]],
            "refunds": [_refund(r, False) for r in s.refunds[:RECENT]],
            "plans": [_plan_piece(p) for p in s.plans],
        }


def _customer_agent(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "email": c.email, "address": _address(c.address), "vat_id": c.vat_id}
