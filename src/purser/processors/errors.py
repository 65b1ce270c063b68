"""The processor layer's errors. Vendor exceptions (stripe's, SQLAlchemy's) never cross this boundary.

ProcessorError
├── CardDeclined          a charge attempt failed (code: card_declined, insufficient_funds, expired_card)
├── NotFound              no such object, or not this customer's
├── InvalidRequest        arguments the processor refuses (over-refund, bad plan, disputed charge)
├── Conflict              the object's state forbids it (already canceled, already paid)
├── IdempotencyError      an idempotency key reused with different parameters
└── ProcessorUnavailable  the processor could not be reached or rate-limited us (retryable)
"""

from __future__ import annotations

from purser.errors import PurserError

__all__ = [
    "CardDeclined",
    "Conflict",
    "IdempotencyError",
    "InvalidRequest",
    "NotFound",
    "ProcessorError",
    "ProcessorUnavailable",
]


class ProcessorError(PurserError):
    """Base of every processor error; `code` is machine-readable, `request_id` the processor's."""

    code = "processor_error"
    status = 502

    def __init__(self, message: str, *, code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message, code=code)
        self.request_id = request_id


class CardDeclined(ProcessorError):
    """The card was declined; `code` says why."""

    code = "card_declined"
    status = 402


class NotFound(ProcessorError):
    """The object does not exist (or belongs to someone else)."""

    code = "resource_missing"
    status = 404


class InvalidRequest(ProcessorError):
    """The processor refuses the arguments."""

    code = "invalid_request"
    status = 422


class Conflict(ProcessorError):
    """The object's current state does not allow the operation."""

    code = "conflict"
    status = 409


class IdempotencyError(ProcessorError):
    """An idempotency key was reused with different parameters."""

    code = "idempotency_key_in_use"
    status = 409


class ProcessorUnavailable(ProcessorError):
    """Network failure, timeout or rate limit: safe to retry only with an idempotency key."""

    code = "unavailable"
    status = 503
