"""Every error of the project mapped to an HTTP status, in one place.

A request never ends in a bare 500 because of what the client sent: each known
error type maps to a 4xx (or a 503 when a dependency is down) and the body says
what is wrong:

    {"error": {"status": 404, "code": "not_found", "message": "no conversation 'c_1'", "details": [...]}}

Types are matched by their fully qualified name along the exception's MRO, so
the mapping needs no imports of the modules it covers (and a new subclass gets
its parent's status).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("purser.web")


class WebError(Exception):
    """An error raised by the web layer itself, with its status and machine code."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})


class BadRequest(WebError):
    """The request is malformed."""


class Unauthorized(WebError):
    """Missing or wrong credentials (identity hash or admin token)."""

    status = 401
    code = "unauthorized"


class Forbidden(WebError):
    """Valid credentials, but not for this resource."""

    status = 403
    code = "forbidden"


class NotFoundError(WebError):
    """No such resource."""

    status = 404
    code = "not_found"


class PayloadTooLarge(WebError):
    """The body is over the size limit."""

    status = 413
    code = "payload_too_large"


class RateLimited(WebError):
    """Too many requests; `Retry-After` says when to come back."""

    status = 429
    code = "rate_limited"


class ServiceUnavailable(WebError):
    """A dependency is not configured or not reachable."""

    status = 503
    code = "unavailable"


# Fully qualified exception name -> (status, code). The first match along the MRO wins.
ERROR_STATUS: dict[str, tuple[int, str]] = {
    # processors (vendor errors never cross that boundary)
    "purser.processors.errors.NotFound": (404, "not_found"),
    "purser.processors.errors.InvalidRequest": (422, "invalid_request"),
    "purser.processors.errors.CardDeclined": (402, "card_declined"),
    "purser.processors.errors.Conflict": (409, "conflict"),
    "purser.processors.errors.IdempotencyError": (409, "idempotency_key_in_use"),
    "purser.processors.errors.ProcessorUnavailable": (503, "processor_unavailable"),
    "purser.processors.errors.ProcessorError": (502, "processor_error"),
    "purser.processors.stripe.webhooks.WebhookSignatureError": (400, "bad_signature"),
    "purser.processors.sandbox.mailer.MailDeliveryError": (503, "mail_unavailable"),
    "purser.processors.sandbox.idempotency.RecordedFailure": (409, "recorded_failure"),
    # money, policy, configuration, bootstrap
    "purser.money.InvalidAmount": (422, "invalid_amount"),
    "purser.money.CurrencyMismatch": (422, "currency_mismatch"),
    "purser.policy.schema.PolicyError": (422, "invalid_policy"),
    "purser.config.ConfigError": (503, "configuration_error"),
    "purser.app.BootstrapError": (503, "bootstrap_error"),
    "purser.models.providers.ProviderConfigError": (503, "model_not_configured"),
    # agent runtime, gateway, knowledge, worlds, gym
    "purser.agent.transcript.ConversationNotFound": (404, "conversation_not_found"),
    "purser.agent.transcript.ConversationBusy": (409, "conversation_busy"),
    "purser.agent.human.NotHandedOff": (409, "not_handed_off"),
    "purser.agent.runtime.RuntimeInputError": (409, "cannot_apply"),
    "purser.actions.base.Refusal": (409, "refused"),
    "purser.knowledge.errors.DocumentError": (422, "bad_document"),
    "purser.knowledge.errors.KnowledgeError": (422, "knowledge_error"),
    "purser.worlds.schema.WorldError": (422, "invalid_world"),
    "purser.worlds.schema.CrossCheckError": (422, "invalid_world"),
    "purser.gym.loader.ScenarioError": (422, "invalid_scenario"),
    "purser.gym.wiring.GymSetupError": (503, "gym_setup_error"),
    # generic fallbacks for bad values handed down to the core
    "pydantic_core._pydantic_core.ValidationError": (422, "validation_error"),
    "builtins.LookupError": (404, "not_found"),
    "builtins.ValueError": (422, "invalid_value"),
}


CONTROL_FLOW: frozenset[str] = frozenset(
    {
        # Raised and caught inside one function's loop; never crosses a module boundary.
        "purser.models.offline.dialogue.StopTurn",
        "purser.models.offline.dialogue.NeedCall",
    }
)
"""Exceptions used for control flow inside a component, not errors: deliberately unmapped."""


def status_for(exc: BaseException) -> tuple[int, str] | None:
    """The (status, code) of an exception, or None when it is unknown (a real 500)."""
    if isinstance(exc, WebError):
        return exc.status, exc.code
    for cls in type(exc).__mro__:
        found = ERROR_STATUS.get(f"{cls.__module__}.{cls.__qualname__}")
        if found is not None:
            return found
    return None


def error_body(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON error envelope."""
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response."""
    return JSONResponse(error_body(status, code, message, details), status_code=status, headers=dict(headers or {}))


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        details.append({"field": ".".join(loc), "problem": str(err.get("msg", "invalid"))})
    return details


def _describe(details: list[dict[str, Any]]) -> str:
    parts = [f"{d['field'] or 'body'}: {d['problem']}" for d in details[:5]]
    return "; ".join(parts) or "invalid request"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


async def _on_web_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WebError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _on_request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc.errors())
    return error_response(422, "validation_error", _describe(details), details)


async def _on_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _on_pydantic(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    details = _validation_details(exc.errors())
    return error_response(422, "validation_error", _describe(details), details)


def map_exception(exc: Exception, method: str, path: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body for an exception that no route handled (logged when it is a 5xx)."""
    mapped = status_for(exc)
    if mapped is None:
        log.error("unhandled error on %s %s", method, path, exc_info=exc)
        return 500, error_body(500, "internal_error", "internal error; the server log has the details")
    status, code = mapped
    if status >= 500:
        log.warning("%s on %s %s: %s", code, method, path, exc)
    return status, error_body(status, code, str(exc) or code.replace("_", " "))


class ErrorMapping:
    """Pure ASGI middleware: any exception a route raised becomes the JSON envelope with its mapped status.

    It sits inside Starlette's ServerErrorMiddleware (which would answer a bare 500 and re-raise).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if isinstance(exc, WebError):
                status, body = exc.status, error_body(exc.status, exc.code, exc.message)
                headers = exc.headers
            else:
                status, body = map_exception(exc, str(scope.get("method", "")), str(scope.get("path", "")))
                headers = {}
            response = JSONResponse(body, status_code=status, headers=headers)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers and the mapping middleware on `app`."""
    app.add_exception_handler(WebError, _on_web_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(ValidationError, _on_pydantic)
    app.add_middleware(ErrorMapping)


__all__ = [
    "CONTROL_FLOW",
    "ERROR_STATUS",
    "BadRequest",
    "ErrorMapping",
    "Forbidden",
    "NotFoundError",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "WebError",
    "error_body",
    "error_response",
    "install",
    "map_exception",
    "status_for",
]
