"""Rows of the `sbx_` tables → domain entities, and a JSON codec for stored idempotent responses."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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


def aware(value: Any) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (None stays None)."""
    # SQLAlchemy rows carry datetimes (naive on SQLite); raw cursor rows on SQLite carry the text
    # SQLAlchemy stored ("2026-11-01 00:00:00.000000"). Both become aware UTC.
    if value is None:
        return None
    if value.__class__ is str:
        value = datetime.fromisoformat(value)
    moment: datetime = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment


def _req(value: Any) -> datetime:
    found = aware(value)
    assert found is not None
    return found


def _json(value: Any) -> Any:
    # JSON columns: decoded by SQLAlchemy or psycopg, text on a raw SQLite cursor.
    return json.loads(value) if isinstance(value, str) else value


# Mappers unpack rows positionally, in the column order of `sandbox_tables` (`select(table)`):
# a SQLAlchemy `Row` and a plain DBAPI tuple map alike, and a column added to a table without its
# mapper fails loudly here rather than silently.


def plan(row: Sequence[Any]) -> Plan:
    """A plan row as a `Plan`."""
    id_, name, amount, currency, interval, per_seat = row
    return Plan(PlanId(id_), name, Money(int(amount), currency), Interval(interval), bool(per_seat))


def customer(row: Sequence[Any]) -> Customer:
    """A customer row as a `Customer` (balance in the customer's currency, when it has one)."""
    id_, name, email_, line1, city, postal, country, vat_id, balance, currency, created, _prefix, _next = row
    return Customer(
        id=CustomerId(id_),
        name=name,
        email=email_,
        address=Address(line1=line1, city=city, postal_code=postal, country=country),
        vat_id=vat_id,
        created=_req(created),
        balance=Money(int(balance), currency) if currency else None,
    )


def payment_method(row: Sequence[Any]) -> PaymentMethod:
    """A payment-method row as a `PaymentMethod`."""
    id_, customer_id, brand, last4, exp_year, exp_month, behavior, is_default = row
    return PaymentMethod(
        id=PaymentMethodId(id_),
        customer_id=CustomerId(customer_id),
        brand=brand,
        last4=last4,
        exp_year=int(exp_year),
        exp_month=int(exp_month),
        is_default=bool(is_default),
        behavior=PaymentBehavior(behavior),
    )


def subscription(row: Sequence[Any]) -> Subscription:
    """A subscription row as a `Subscription`."""
    (
        id_,
        customer_id,
        plan_id,
        quantity,
        status,
        created,
        _anchor,
        period_start,
        period_end,
        cancel_at_period_end,
        canceled_at,
        ended_at,
        trial_end,
        pause_starts_at,
        resumes_at,
        scheduled_plan_id,
        scheduled_quantity,
    ) = row
    return Subscription(
        id=SubscriptionId(id_),
        customer_id=CustomerId(customer_id),
        plan_id=PlanId(plan_id),
        quantity=int(quantity),
        status=SubscriptionStatus(status),
        created=_req(created),
        current_period_start=_req(period_start),
        current_period_end=_req(period_end),
        cancel_at_period_end=bool(cancel_at_period_end),
        canceled_at=aware(canceled_at),
        ended_at=aware(ended_at),
        trial_end=aware(trial_end),
        pause_starts_at=aware(pause_starts_at),
        resumes_at=aware(resumes_at),
        scheduled_plan_id=PlanId(scheduled_plan_id) if scheduled_plan_id else None,
        scheduled_quantity=scheduled_quantity,
    )


def anchor(row: Sequence[Any]) -> datetime:
    """The `billing_cycle_anchor` of a subscription row."""
    return _req(row[6])


def invoice_line(row: Sequence[Any]) -> InvoiceLine:
    """An invoice-line row as an `InvoiceLine`."""
    _id, _invoice, _pos, description, amount, currency, quantity, start, end, proration, plan_id = row
    return InvoiceLine(
        description=description,
        amount=Money(int(amount), currency),
        quantity=int(quantity),
        period_start=aware(start),
        period_end=aware(end),
        proration=bool(proration),
        plan_id=PlanId(plan_id) if plan_id else None,
    )


def invoice(row: Sequence[Any], lines: Sequence[Sequence[Any]]) -> Invoice:
    """An invoice row and its line rows as an `Invoice`."""
    (
        id_,
        customer_id,
        subscription_id,
        number,
        status,
        _reason,
        created,
        cur,
        subtotal,
        tax,
        total,
        _credit,
        amount_paid,
        attempts,
        next_attempt,
        tax_note,
    ) = row
    return Invoice(
        id=InvoiceId(id_),
        customer_id=CustomerId(customer_id),
        number=number,
        status=InvoiceStatus(status),
        created=_req(created),
        subtotal=Money(int(subtotal), cur),
        tax=Money(int(tax), cur),
        total=Money(int(total), cur),
        lines=tuple(invoice_line(line) for line in lines),
        subscription_id=SubscriptionId(subscription_id) if subscription_id else None,
        attempts=int(attempts),
        next_payment_attempt=aware(next_attempt),
        amount_paid=Money(int(amount_paid), cur),
        tax_note=tax_note,
        hosted_url=f"{HOSTED_BASE}/invoices/{id_}",
        pdf_url=f"{HOSTED_BASE}/invoices/{id_}.pdf",
    )


def charge(row: Sequence[Any]) -> Charge:
    """A charge row as a `Charge`."""
    id_, customer_id, invoice_id, pm_id, amount, cur, refunded, status, failure_code, disputed, created = row
    return Charge(
        id=ChargeId(id_),
        customer_id=CustomerId(customer_id),
        amount=Money(int(amount), cur),
        created=_req(created),
        status=ChargeStatus(status),
        invoice_id=InvoiceId(invoice_id) if invoice_id else None,
        payment_method_id=PaymentMethodId(pm_id) if pm_id else None,
        amount_refunded=Money(int(refunded), cur),
        disputed=bool(disputed),
        failure_code=failure_code,
    )


def refund(row: Sequence[Any]) -> Refund:
    """A refund row as a `Refund`."""
    id_, charge_id, customer_id, amount, currency, reason, metadata, _key, created = row
    return Refund(
        id=RefundId(id_),
        charge_id=ChargeId(charge_id),
        customer_id=CustomerId(customer_id),
        amount=Money(int(amount), currency),
        created=_req(created),
        reason=reason,
        metadata=dict(_json(metadata) or {}),
    )


def dispute(row: Sequence[Any]) -> Dispute:
    """A dispute row as a `Dispute`."""
    id_, charge_id, amount, currency, status, reason, created = row
    return Dispute(
        id=DisputeId(id_),
        charge_id=ChargeId(charge_id),
        amount=Money(int(amount), currency),
        status=status,
        reason=reason,
        created=_req(created),
    )


def email(row: Sequence[Any]) -> Email:
    """An outbox row as an `Email`."""
    id_, customer_id, to, kind, subject, body, sent_at, invoice_id, attachment_name = row
    return Email(
        id=id_,
        customer_id=CustomerId(customer_id),
        to=to,
        kind=kind,
        subject=subject,
        body=body,
        sent_at=_req(sent_at),
        invoice_id=InvoiceId(invoice_id) if invoice_id else None,
        attachment_name=attachment_name,
    )


def event(row: Sequence[Any]) -> Event:
    """An event row as an `Event`."""
    _seq, id_, type_, created, _customer, data = row
    return Event(id=EventId(id_), type=type_, created=_req(created), data=dict(_json(data)))


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
