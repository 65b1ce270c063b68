"""Billing processors: the `BillingProcessor` protocol and its adapters (sandbox, stripe)."""

from purser.processors.base import BillingProcessor, ChangeResult, ChangeTiming, PaymentLink, SentEmail
from purser.processors.errors import (
    CardDeclined,
    Conflict,
    IdempotencyError,
    InvalidRequest,
    NotFound,
    ProcessorError,
    ProcessorUnavailable,
)

__all__ = [
    "BillingProcessor",
    "CardDeclined",
    "ChangeResult",
    "ChangeTiming",
    "Conflict",
    "IdempotencyError",
    "InvalidRequest",
    "NotFound",
    "PaymentLink",
    "ProcessorError",
    "ProcessorUnavailable",
    "SentEmail",
]
