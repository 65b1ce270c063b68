"""The edge with the Stripe SDK: client construction, calls, error translation and safe retries.

Stripe's exceptions never leave this module: each becomes a `purser.processors.errors` type
carrying Stripe's `code` and `request_id`. A call is retried (with exponential backoff, longer
on 429) only when it is safe: a read, or a write that carries an idempotency key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import stripe
from stripe import HTTPClient

from purser.processors.errors import (
    CardDeclined,
    Conflict,
    IdempotencyError,
    InvalidRequest,
    NotFound,
    ProcessorError,
    ProcessorUnavailable,
)

Obj = dict[str, Any]

MAX_ATTEMPTS = 4
"""Attempts of a safe call before giving up."""


def make_client(
    api_key: str, *, api_base: str | None = None, http_client: HTTPClient | None = None
) -> stripe.StripeClient:
    """A `StripeClient`; `api_base` points it at a Stripe-compatible server (localstripe in tests)."""
    kwargs: dict[str, Any] = {"max_network_retries": 0}
    if api_base:
        kwargs["base_addresses"] = {"api": api_base.rstrip("/")}
    if http_client is not None:
        kwargs["http_client"] = http_client
    return stripe.StripeClient(api_key, **kwargs)


def translate(exc: stripe.StripeError) -> ProcessorError:
    """A Stripe exception as the processor layer's typed error."""
    code = getattr(exc, "code", None)
    request_id = getattr(exc, "request_id", None)
    message = getattr(exc, "user_message", None) or str(getattr(exc, "_message", None) or exc) or type(exc).__name__
    status = getattr(exc, "http_status", None)
    if status == 404:
        return NotFound(message, code=code or "resource_missing", request_id=request_id)
    if isinstance(exc, stripe.CardError):
        body = getattr(exc, "json_body", None) or {}
        decline = (body.get("error") or {}).get("decline_code") if isinstance(body, dict) else None
        return CardDeclined(message, code=decline or code or "card_declined", request_id=request_id)
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyError(message, code=code, request_id=request_id)
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError):
        return ProcessorUnavailable(message, code=code or "rate_limited", request_id=request_id)
    if isinstance(exc, stripe.InvalidRequestError):
        if code == "resource_missing":
            return NotFound(message, code=code, request_id=request_id)
        if status == 409 or code in {"invoice_not_editable", "subscription_canceled"}:
            return Conflict(message, code=code, request_id=request_id)
        if code == "charge_disputed":
            return InvalidRequest(message, code=code, request_id=request_id)
        return InvalidRequest(message, code=code, request_id=request_id)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return InvalidRequest(message, code=code or "authentication", request_id=request_id)
    if isinstance(exc, stripe.APIError) and (status or 500) >= 500:
        return ProcessorUnavailable(message, code=code or "api_error", request_id=request_id)
    return ProcessorError(message, code=code, request_id=request_id)


def _retryable(error: ProcessorError) -> bool:
    return isinstance(error, ProcessorUnavailable)


def call(
    fn: Callable[..., Any],
    *args: Any,
    idempotency_key: str | None = None,
    safe: bool = False,
    sleep: Callable[[float], None] = time.sleep,  # float-ok: seconds
    **kwargs: Any,
) -> Obj:
    """Call an SDK method and return the response as a plain dict.

    `safe` marks reads; writes are retried only when they carry `idempotency_key`.
    """
    options: dict[str, Any] = dict(kwargs.pop("options", None) or {})
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    retry = safe or bool(idempotency_key)
    delay = 0.5  # float-ok: seconds of backoff
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            result = fn(*args, options=options, **kwargs) if options else fn(*args, **kwargs)
        except stripe.StripeError as exc:
            error = translate(exc)
            if retry and _retryable(error) and attempt < MAX_ATTEMPTS:
                is_rate_limit = isinstance(exc, stripe.RateLimitError)
                sleep(delay * (2 if is_rate_limit else 1))
                delay *= 2
                continue
            raise error from None
        return to_dict(result)
    raise ProcessorUnavailable("Stripe did not answer")  # pragma: no cover - loop always returns or raises


def to_dict(result: Any) -> Obj:
    """A StripeObject (or list) as a plain recursive dict."""
    if result is None:
        return {}
    if hasattr(result, "to_dict"):
        return dict(result.to_dict())
    return dict(result)


__all__ = [
    "MAX_ATTEMPTS",
    "Obj",
    "call",
    "make_client",
    "to_dict",
    "translate",
]
