"""Typed identifiers: a customer id can never be passed where a charge id is expected."""

from typing import NewType

CustomerId = NewType("CustomerId", str)
PaymentMethodId = NewType("PaymentMethodId", str)
PlanId = NewType("PlanId", str)
SubscriptionId = NewType("SubscriptionId", str)
InvoiceId = NewType("InvoiceId", str)
ChargeId = NewType("ChargeId", str)
RefundId = NewType("RefundId", str)
DisputeId = NewType("DisputeId", str)
EventId = NewType("EventId", str)


__all__ = [
    "ChargeId",
    "CustomerId",
    "DisputeId",
    "EventId",
    "InvoiceId",
    "PaymentMethodId",
    "PlanId",
    "RefundId",
    "SubscriptionId",
]
