"""Stripe API objects (plain dicts, as returned by `StripeObject.to_dict()`) → domain entities.

Written against the current API shapes (`../shared/stripe/fixtures3.json`): the period
dates live on subscription items, invoices reach their charges through invoice payments
(`payments`) or a payment intent, and the subscription of an invoice sits under
`parent.subscription_details`. Older shapes (period on the subscription, `invoice.charge`)
are read too, because Stripe-compatible servers such as localstripe still return them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from purser.domain import (
    Address,
    Charge,
    ChargeId,
    ChargeStatus,
    Customer,
    CustomerId,
    Dispute,
    DisputeId,
    Event,
    EventId,
    Interval,
    Invoice,
    InvoiceId,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    PaymentMethodId,
    Plan,
    PlanId,
    Refund,
    RefundId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from purser.money import Money
from purser.processors.errors import ProcessorError

Obj = dict[str, Any]


def ts(value: Any) -> datetime | None:
    """A Stripe unix timestamp as an aware UTC datetime (None stays None)."""
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def unix(value: datetime) -> int:
    """An aware datetime as a Stripe unix timestamp."""
    return int(value.timestamp())


def ref_id(value: Any) -> str | None:
    """The id of a reference that may be expanded (a dict) or not (a string)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") else None
    return str(value)


def money(amount: Any, currency: Any) -> Money:
    """Minor units + currency as Money (Stripe amounts are already minor units)."""
    return Money(int(amount or 0), str(currency or "usd"))


def address(obj: Obj | None) -> Address:
    """A Stripe address."""
    obj = obj or {}
    return Address(
        line1=obj.get("line1"),
        city=obj.get("city"),
        postal_code=obj.get("postal_code"),
        country=(obj.get("country") or None),
    )


def vat_id_of(customer: Obj) -> str | None:
    """The customer's EU VAT id from expanded `tax_ids`, if any."""
    tax_ids = (customer.get("tax_ids") or {}).get("data") or []
    for tax_id in tax_ids:
        if tax_id.get("type") == "eu_vat":
            return str(tax_id.get("value"))
    return None


def customer(obj: Obj) -> Customer:
    """A Stripe customer."""
    currency = obj.get("currency") or "usd"
    balance = obj.get("balance")
    return Customer(
        id=CustomerId(obj["id"]),
        name=obj.get("name") or obj.get("description") or obj["id"],
        email=obj.get("email") or "",
        address=address(obj.get("address")),
        vat_id=vat_id_of(obj),
        created=ts(obj.get("created")) or datetime.now(UTC),
        balance=money(balance, currency) if balance else None,
    )


def payment_method(obj: Obj, customer_id: str, default_id: str | None) -> PaymentMethod:
    """A card payment method. Only brand, last4 and expiry ever leave Stripe."""
    card = obj.get("card") or {}
    return PaymentMethod(
        id=PaymentMethodId(obj["id"]),
        customer_id=CustomerId(customer_id),
        brand=str(card.get("brand") or "card"),
        last4=str(card.get("last4") or "????"),
        exp_year=int(card.get("exp_year") or 1970),
        exp_month=int(card.get("exp_month") or 1),
        is_default=obj["id"] == default_id,
    )


def plan(price: Obj) -> Plan:
    """A price (or a legacy plan) as a Plan."""
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval") or price.get("interval") or "month"
    product = price.get("product")
    name = (
        product.get("name")
        if isinstance(product, dict)
        else price.get("nickname") or price.get("lookup_key") or price.get("name") or price["id"]
    )
    amount = price.get("unit_amount")
    if amount is None:
        amount = price.get("amount")
    per_seat = (price.get("metadata") or {}).get("per_seat") in ("true", "1", "yes")
    return Plan(
        id=PlanId(price["id"]),
        name=str(name),
        amount=money(amount, price.get("currency")),
        interval=Interval.YEAR if interval == "year" else Interval.MONTH,
        per_seat=per_seat,
    )


_SUB_STATUS = {
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.UNPAID,
    "paused": SubscriptionStatus.PAUSED,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete": SubscriptionStatus.PAST_DUE,
    "incomplete_expired": SubscriptionStatus.CANCELED,
}


def first_item(sub: Obj) -> Obj:
    """The subscription's single item (Purser manages single-item subscriptions)."""
    items = (sub.get("items") or {}).get("data") or []
    if not items:
        raise ProcessorError(f"subscription {sub.get('id')} has no items", code="unexpected_response")
    return dict(items[0])


def item_price(item: Obj) -> Obj:
    """The price of an item (or its legacy plan)."""
    price = item.get("price") or item.get("plan")
    if not isinstance(price, dict):
        raise ProcessorError("subscription item without an expanded price", code="unexpected_response")
    return dict(price)


def subscription(sub: Obj, schedule: Obj | None = None) -> Subscription:
    """A subscription; period dates from the item (current API) or the subscription (older shapes)."""
    item = first_item(sub)
    start = item.get("current_period_start") or sub.get("current_period_start") or sub.get("start_date")
    end = item.get("current_period_end") or sub.get("current_period_end")
    pause = sub.get("pause_collection") or None
    status = _SUB_STATUS.get(str(sub.get("status")), SubscriptionStatus.ACTIVE)
    if pause and status is SubscriptionStatus.ACTIVE:
        status = SubscriptionStatus.PAUSED
    scheduled_plan, scheduled_qty = _scheduled_change(schedule)
    return Subscription(
        id=SubscriptionId(sub["id"]),
        customer_id=CustomerId(ref_id(sub.get("customer")) or ""),
        plan_id=PlanId(item_price(item)["id"]),
        quantity=int(item.get("quantity") or 1),
        status=status,
        created=ts(sub.get("created")) or datetime.now(UTC),
        current_period_start=ts(start) or datetime.now(UTC),
        current_period_end=ts(end) or datetime.now(UTC),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        canceled_at=ts(sub.get("canceled_at")),
        ended_at=ts(sub.get("ended_at")),
        trial_end=ts(sub.get("trial_end")),
        resumes_at=ts(pause.get("resumes_at")) if pause else None,
        scheduled_plan_id=PlanId(scheduled_plan) if scheduled_plan else None,
        scheduled_quantity=scheduled_qty,
    )


def _scheduled_change(schedule: Obj | None) -> tuple[str | None, int | None]:
    # The phase after the current one holds the change that takes effect at the period end.
    if not schedule:
        return None, None
    phases = schedule.get("phases") or []
    if len(phases) < 2:
        return None, None
    nxt = phases[1]
    items = nxt.get("items") or []
    if not items:
        return None, None
    return ref_id(items[0].get("price") or items[0].get("plan")), items[0].get("quantity")


_INVOICE_STATUS = {
    "paid": InvoiceStatus.PAID,
    "open": InvoiceStatus.OPEN,
    "void": InvoiceStatus.VOID,
    "uncollectible": InvoiceStatus.UNCOLLECTIBLE,
    "draft": InvoiceStatus.OPEN,
}


def invoice_subscription_id(inv: Obj) -> str | None:
    """The subscription an invoice bills (current `parent` shape or the older top-level field)."""
    parent = inv.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return ref_id(details.get("subscription")) or ref_id(inv.get("subscription"))


def invoice(inv: Obj) -> Invoice:
    """An invoice with its lines."""
    currency = inv.get("currency") or "usd"
    total = int(inv["total"] if inv.get("total") is not None else inv.get("amount_due") or 0)
    subtotal = int(inv["subtotal"] if inv.get("subtotal") is not None else total)
    tax = total - subtotal
    lines = []
    for line in (inv.get("lines") or {}).get("data") or []:
        period = line.get("period") or {}
        pricing = (line.get("pricing") or {}).get("price_details") or {}
        lines.append(
            InvoiceLine(
                description=str(line.get("description") or ""),
                amount=money(line.get("amount"), line.get("currency") or currency),
                quantity=int(line.get("quantity") or 1),
                period_start=ts(period.get("start")),
                period_end=ts(period.get("end")),
                proration=bool(line.get("proration")),
                plan_id=PlanId(pid) if (pid := ref_id(pricing.get("price") or line.get("price"))) else None,
            )
        )
    sub_id = invoice_subscription_id(inv)
    return Invoice(
        id=InvoiceId(inv["id"]),
        customer_id=CustomerId(ref_id(inv.get("customer")) or ""),
        number=str(inv.get("number") or inv["id"]),
        status=_INVOICE_STATUS.get(str(inv.get("status")), InvoiceStatus.OPEN),
        created=ts(inv.get("created")) or datetime.now(UTC),
        subtotal=Money(subtotal, currency),
        tax=Money(tax, currency),
        total=Money(total, currency),
        lines=tuple(lines),
        subscription_id=SubscriptionId(sub_id) if sub_id else None,
        attempts=int(inv.get("attempt_count") or 0),
        next_payment_attempt=ts(inv.get("next_payment_attempt")),
        amount_paid=money(inv.get("amount_paid"), currency),
        hosted_url=inv.get("hosted_invoice_url"),
        pdf_url=inv.get("invoice_pdf"),
    )


def invoice_charge_ids(inv: Obj) -> list[str]:
    """Charges that paid an invoice: through expanded invoice payments or the older `charge` field."""
    found: list[str] = []
    for payment in (inv.get("payments") or {}).get("data") or []:
        inner = payment.get("payment") or {}
        charge = ref_id(inner.get("charge"))
        pi = inner.get("payment_intent")
        if charge is None and isinstance(pi, dict):
            charge = ref_id(pi.get("latest_charge"))
        if charge:
            found.append(charge)
    legacy = ref_id(inv.get("charge"))
    if legacy and legacy not in found:
        found.append(legacy)
    return found


def charge(obj: Obj, invoice_id: str | None = None) -> Charge:
    """A charge."""
    currency = obj.get("currency") or "usd"
    return Charge(
        id=ChargeId(obj["id"]),
        customer_id=CustomerId(ref_id(obj.get("customer")) or ""),
        amount=money(obj.get("amount"), currency),
        created=ts(obj.get("created")) or datetime.now(UTC),
        status=ChargeStatus.SUCCEEDED if obj.get("status") == "succeeded" else ChargeStatus.FAILED,
        invoice_id=InvoiceId(inv) if (inv := invoice_id or ref_id(obj.get("invoice"))) else None,
        payment_method_id=PaymentMethodId(pm) if (pm := ref_id(obj.get("payment_method"))) else None,
        amount_refunded=money(obj.get("amount_refunded"), currency),
        disputed=bool(obj.get("disputed")),
        failure_code=obj.get("failure_code"),
    )


def refund(obj: Obj, customer_id: str | None = None) -> Refund:
    """A refund."""
    return Refund(
        id=RefundId(obj["id"]),
        charge_id=ChargeId(ref_id(obj.get("charge")) or ""),
        customer_id=CustomerId(customer_id or ref_id(obj.get("customer")) or ""),
        amount=money(obj.get("amount"), obj.get("currency")),
        created=ts(obj.get("created")) or datetime.now(UTC),
        reason=obj.get("reason"),
        metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
    )


def dispute(obj: Obj) -> Dispute:
    """A dispute."""
    return Dispute(
        id=DisputeId(obj["id"]),
        charge_id=ChargeId(ref_id(obj.get("charge")) or ""),
        amount=money(obj.get("amount"), obj.get("currency")),
        status=str(obj.get("status") or ""),
        reason=str(obj.get("reason") or ""),
        created=ts(obj.get("created")) or datetime.now(UTC),
    )


def event(obj: Obj) -> Event:
    """A webhook event."""
    return Event(
        id=EventId(obj["id"]),
        type=str(obj.get("type")),
        created=ts(obj.get("created")) or datetime.now(UTC),
        data=dict((obj.get("data") or {}).get("object") or {}),
    )


__all__ = [
    "Obj",
    "address",
    "charge",
    "customer",
    "dispute",
    "event",
    "first_item",
    "invoice",
    "invoice_charge_ids",
    "invoice_subscription_id",
    "item_price",
    "money",
    "payment_method",
    "plan",
    "ref_id",
    "refund",
    "subscription",
    "ts",
    "unix",
    "vat_id_of",
]
