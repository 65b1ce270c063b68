"""Rows of the `sbx_` tables → domain entities, and a JSON codec for stored idempotent responses."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from purser import domain
from purser.domain import (
    Address,
    Charge,
    ChargeStatus,
    Customer,
    CustomerId,
    Dispute,
    Email,
    Event,
    Interval,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentBehavior,
    PaymentMethod,
    Plan,
    Refund,
    Subscription,
    SubscriptionStatus,
)
from purser.domain.ids import (
    ChargeId,
    DisputeId,
    EventId,
    InvoiceId,
    PaymentMethodId,
    PlanId,
    RefundId,
    SubscriptionId,
)
from purser.money import Money
from purser.processors import base
from purser.processors.sandbox.clock import utc

HOSTED_BASE = "https://billing.sandbox.purser.local"
"""Base of the sandbox's hosted pages (invoices, card update links)."""


def _dt(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _req(value: datetime | None) -> datetime:
    assert value is not None
    return utc(value)


def plan(row: Row[Any]) -> Plan:
    """A plan row as a `Plan`."""
    m = row._mapping
    return Plan(
        id=PlanId(m["id"]),
        name=m["name"],
        amount=Money(int(m["amount"]), m["currency"]),
        interval=Interval(m["interval"]),
        per_seat=bool(m["per_seat"]),
    )


def customer(row: Row[Any]) -> Customer:
    """A customer row as a `Customer` (balance in the customer's currency, when it has one)."""
    m = row._mapping
    return Customer(
        id=CustomerId(m["id"]),
        name=m["name"],
        email=m["email"],
        address=Address(line1=m["line1"], city=m["city"], postal_code=m["postal_code"], country=m["country"]),
        vat_id=m["vat_id"],
        created=_req(m["created"]),
        balance=Money(int(m["balance"]), m["currency"]) if m["currency"] else None,
    )


def payment_method(row: Row[Any]) -> PaymentMethod:
    """A payment-method row as a `PaymentMethod`."""
    m = row._mapping
    return PaymentMethod(
        id=PaymentMethodId(m["id"]),
        customer_id=CustomerId(m["customer_id"]),
        brand=m["brand"],
        last4=m["last4"],
        exp_year=int(m["exp_year"]),
        exp_month=int(m["exp_month"]),
        is_default=bool(m["is_default"]),
        behavior=PaymentBehavior(m["behavior"]),
    )


def subscription(row: Row[Any]) -> Subscription:
    """A subscription row as a `Subscription`."""
    m = row._mapping
    return Subscription(
        id=SubscriptionId(m["id"]),
        customer_id=CustomerId(m["customer_id"]),
        plan_id=PlanId(m["plan_id"]),
        quantity=int(m["quantity"]),
        status=SubscriptionStatus(m["status"]),
        created=_req(m["created"]),
        current_period_start=_req(m["current_period_start"]),
        current_period_end=_req(m["current_period_end"]),
        cancel_at_period_end=bool(m["cancel_at_period_end"]),
        canceled_at=_dt(m["canceled_at"]),
        ended_at=_dt(m["ended_at"]),
        trial_end=_dt(m["trial_end"]),
        pause_starts_at=_dt(m["pause_starts_at"]),
        resumes_at=_dt(m["resumes_at"]),
        scheduled_plan_id=PlanId(m["scheduled_plan_id"]) if m["scheduled_plan_id"] else None,
        scheduled_quantity=m["scheduled_quantity"],
    )


def invoice_line(row: Row[Any]) -> InvoiceLine:
    """An invoice-line row as an `InvoiceLine`."""
    m = row._mapping
    return InvoiceLine(
        description=m["description"],
        amount=Money(int(m["amount"]), m["currency"]),
        quantity=int(m["quantity"]),
        period_start=_dt(m["period_start"]),
        period_end=_dt(m["period_end"]),
        proration=bool(m["proration"]),
        plan_id=PlanId(m["plan_id"]) if m["plan_id"] else None,
    )


def invoice(row: Row[Any], lines: Sequence[Row[Any]]) -> Invoice:
    """An invoice row and its line rows as an `Invoice`."""
    m = row._mapping
    cur = m["currency"]
    return Invoice(
        id=InvoiceId(m["id"]),
        customer_id=CustomerId(m["customer_id"]),
        number=m["number"],
        status=InvoiceStatus(m["status"]),
        created=_req(m["created"]),
        subtotal=Money(int(m["subtotal"]), cur),
        tax=Money(int(m["tax"]), cur),
        total=Money(int(m["total"]), cur),
        lines=tuple(invoice_line(line) for line in lines),
        subscription_id=SubscriptionId(m["subscription_id"]) if m["subscription_id"] else None,
        attempts=int(m["attempts"]),
        next_payment_attempt=_dt(m["next_payment_attempt"]),
        amount_paid=Money(int(m["amount_paid"]), cur),
        tax_note=m["tax_note"],
        hosted_url=f"{HOSTED_BASE}/invoices/{m['id']}",
        pdf_url=f"{HOSTED_BASE}/invoices/{m['id']}.pdf",
    )


def charge(row: Row[Any]) -> Charge:
    """A charge row as a `Charge`."""
    m = row._mapping
    cur = m["currency"]
    return Charge(
        id=ChargeId(m["id"]),
        customer_id=CustomerId(m["customer_id"]),
        amount=Money(int(m["amount"]), cur),
        created=_req(m["created"]),
        status=ChargeStatus(m["status"]),
        invoice_id=InvoiceId(m["invoice_id"]) if m["invoice_id"] else None,
        payment_method_id=PaymentMethodId(m["payment_method_id"]) if m["payment_method_id"] else None,
        amount_refunded=Money(int(m["amount_refunded"]), cur),
        disputed=bool(m["disputed"]),
        failure_code=m["failure_code"],
    )


def refund(row: Row[Any]) -> Refund:
    """A refund row as a `Refund`."""
    m = row._mapping
    return Refund(
        id=RefundId(m["id"]),
        charge_id=ChargeId(m["charge_id"]),
        customer_id=CustomerId(m["customer_id"]),
        amount=Money(int(m["amount"]), m["currency"]),
        created=_req(m["created"]),
        reason=m["reason"],
        metadata=dict(m["metadata"] or {}),
    )


def dispute(row: Row[Any]) -> Dispute:
    """A dispute row as a `Dispute`."""
    m = row._mapping
    return Dispute(
        id=DisputeId(m["id"]),
        charge_id=ChargeId(m["charge_id"]),
        amount=Money(int(m["amount"]), m["currency"]),
        status=m["status"],
        reason=m["reason"],
        created=_req(m["created"]),
    )


def email(row: Row[Any]) -> Email:
    """An outbox row as an `Email`."""
    m = row._mapping
    return Email(
        id=m["id"],
        customer_id=CustomerId(m["customer_id"]),
        to=m["to"],
        kind=m["kind"],
        subject=m["subject"],
        body=m["body"],
        sent_at=_req(m["sent_at"]),
        invoice_id=InvoiceId(m["invoice_id"]) if m["invoice_id"] else None,
        attachment_name=m["attachment_name"],
    )


def event(row: Row[Any]) -> Event:
    """An event row as an `Event`."""
    m = row._mapping
    return Event(id=EventId(m["id"]), type=m["type"], created=_req(m["created"]), data=dict(m["data"]))


# -- codec for idempotent responses ------------------------------------------------------------------

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        *(getattr(domain, name) for name in domain.__all__),
        base.ChangeResult,
        base.SentEmail,
        base.PaymentLink,
    )
    if isinstance(cls, type) and (dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum))
}


def encode(value: Any) -> Any:
    """A domain value (dataclasses, Money, datetimes, enums, tuples) as tagged JSON."""
    if isinstance(value, Money):
        return {"$money": [value.minor, value.currency]}
    if isinstance(value, datetime):
        return {"$dt": utc(value).isoformat()}
    if isinstance(value, enum.Enum):
        return {"$enum": [type(value).__name__, value.value]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$type": type(value).__name__, "fields": fields}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(value: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$money" in value:
        minor, cur = value["$money"]
        return Money(int(minor), cur)
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$enum" in value:
        name, raw = value["$enum"]
        return _CLASSES[name](raw)
    if "$tuple" in value:
        return tuple(decode(v) for v in value["$tuple"])
    if "$dict" in value:
        return {k: decode(v) for k, v in value["$dict"].items()}
    cls = _CLASSES[value["$type"]]
    return cls(**{k: decode(v) for k, v in value["fields"].items()})
