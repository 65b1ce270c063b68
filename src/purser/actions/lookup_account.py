"""`lookup_account` (read): the verified customer's billing state as the JSON of CONTRACTS.md."""

from __future__ import annotations

from typing import Any

from purser.actions.base import ActionSpec, Context, StrictArgs, iso
from purser.domain import AccountSnapshot, Charge, InvoiceStatus, Plan
from purser.money import Money

RECENT = 24
"""How many charges, invoices and refunds are listed (newest first)."""


class LookupAccountArgs(StrictArgs):
    """No arguments: the account is always the verified customer's."""


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


def _charge_json(snapshot: AccountSnapshot, charge: Charge) -> dict[str, Any]:
    inv = snapshot.invoice(charge.invoice_id) if charge.invoice_id else None
    refunded = (charge.amount_refunded or Money.zero(charge.amount.currency)).amount_str()
    return {
        "id": charge.id,
        "amount": charge.amount.amount_str(),
        "currency": charge.amount.currency,
        "created": iso(charge.created),
        "invoice": charge.invoice_id,
        "invoice_number": inv.number if inv else None,
        "status": str(charge.status),
        "refunded": refunded,
        "refundable": charge.refundable.amount_str(),
        "disputed": charge.disputed,
    }


def account_json(snapshot: AccountSnapshot) -> dict[str, Any]:
    """The `lookup_account` result."""
    cust = snapshot.customer
    sub = snapshot.subscription
    sub_json: dict[str, Any] | None = None
    if sub is not None and snapshot.plan is not None:
        sub_json = {
            "id": sub.id,
            "plan": plan_json(snapshot.plan),
            "quantity": sub.quantity,
            "status": str(sub.status),
            "current_period_start": iso(sub.current_period_start),
            "current_period_end": iso(sub.current_period_end),
            "cancel_at_period_end": sub.cancel_at_period_end,
            "resumes_at": iso(sub.resumes_at),
            "trial_end": iso(sub.trial_end),
            "scheduled_plan": sub.scheduled_plan_id,
            "scheduled_quantity": sub.scheduled_quantity,
        }
    next_invoice = None
    if snapshot.next_invoice_date is not None and snapshot.next_invoice_amount is not None:
        next_invoice = {
            "date": iso(snapshot.next_invoice_date),
            "amount": snapshot.next_invoice_amount.amount_str(),
            "currency": snapshot.next_invoice_amount.currency,
        }
    pm = snapshot.default_payment_method
    pm_json = None
    if pm is not None:
        pm_json = {
            "id": pm.id,
            "brand": pm.brand,
            "last4": pm.last4,
            "exp": f"{pm.exp_year:04d}-{pm.exp_month:02d}",
            "expired": pm.expired_at(snapshot.now),
        }
    past_due = None
    if snapshot.past_due is not None and snapshot.past_due.minor > 0:
        past_due = {
            "amount": snapshot.past_due.amount_str(),
            "currency": snapshot.past_due.currency,
            "invoices": [i.id for i in snapshot.invoices if i.status is InvoiceStatus.OPEN],
        }
    return {
        "now": iso(snapshot.now),
        "customer": {
            "id": cust.id,
            "name": cust.name,
            "email": cust.email,
            "address": {
                "line1": cust.address.line1,
                "city": cust.address.city,
                "postal_code": cust.address.postal_code,
                "country": cust.address.country,
            },
            "vat_id": cust.vat_id,
        },
        "subscription": sub_json,
        "next_invoice": next_invoice,
        "payment_method": pm_json,
        "past_due": past_due,
        "charges": [_charge_json(snapshot, c) for c in snapshot.charges[:RECENT]],
        "invoices": [
            {
                "id": i.id,
                "number": i.number,
                "created": iso(i.created),
                "total": i.total.amount_str(),
                "tax": i.tax.amount_str(),
                "currency": i.total.currency,
                "status": str(i.status),
                "attempts": i.attempts,
                "next_payment_attempt": iso(i.next_payment_attempt) if i.next_payment_attempt else None,
            }
            for i in snapshot.invoices[:RECENT]
        ],
        "refunds": [
            {
                "id": r.id,
                "charge": r.charge_id,
                "amount": r.amount.amount_str(),
                "currency": r.amount.currency,
                "created": iso(r.created),
            }
            for r in snapshot.refunds[:RECENT]
        ],
        "plans": [plan_json(p) for p in snapshot.plans],
    }


def run(ctx: Context, args: LookupAccountArgs) -> dict[str, Any]:
    """The verified customer's account."""
    return account_json(ctx.snapshot)


SPEC = ActionSpec(
    name="lookup_account",
    description=(
        "The verified customer's billing state: plan, seats, status, next invoice, card on file, past-due "
        "balance, recent charges, invoices and refunds, and the plans available. Call it before any other action."
    ),
    kind="read",
    input_model=LookupAccountArgs,
    run=run,
)
