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


class ProcessorError(Exception):
    """Base of every processor error; `code` is machine-readable, `request_id` the processor's."""

    default_code = "processor_error"

    def __init__(self, message: str, *, code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message


class CardDeclined(ProcessorError):
    """The card was declined; `code` says why."""

    default_code = "card_declined"


class NotFound(ProcessorError):
    """The object does not exist (or belongs to someone else)."""

    default_code = "resource_missing"


class InvalidRequest(ProcessorError):
    """The processor refuses the arguments."""

    default_code = "invalid_request"


class Conflict(ProcessorError):
    """The object's current state does not allow the operation."""

    default_code = "conflict"


class IdempotencyError(ProcessorError):
    """An idempotency key was reused with different parameters."""

    default_code = "idempotency_key_in_use"


class ProcessorUnavailable(ProcessorError):
    """Network failure, timeout or rate limit: safe to retry only with an idempotency key."""

    default_code = "unavailable"
