"""Every error of the project mapped to an HTTP status, in one place: by type.

A deliberate error is a `purser.errors.PurserError`; it carries its own `status` and stable `code`
(the tree is drawn in `purser.errors`). The body says what is wrong:

    {"error": {"status": 404, "code": "not_found", "message": "no conversation 'c_1'", "details": [...]}}

Anything else that escapes a route — a bug's `ValueError`, a `KeyError`, a vendor exception an
adapter failed to translate — is a 500 with a generic body (no internals, no secrets) and a log
line with the traceback. Request validation (FastAPI's, from the route's declared body and
parameters) stays a 422 naming the fields.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from purser.errors import PurserError

log = logging.getLogger("purser.web")


class WebError(PurserError):
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
        super().__init__(message, code=code)
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


INTERNAL_ERROR_MESSAGE = "internal error; the server log has the details"
"""The whole body of a 500: nothing about what failed, so no internals or secrets leak."""


def status_for(exc: BaseException) -> tuple[int, str] | None:
    """The (status, code) of a deliberate error, or None for anything else (a real 500)."""
    if isinstance(exc, PurserError):
        return exc.status, exc.code
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


def map_exception(exc: Exception, method: str, path: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body for an exception that no route handled (logged when it is a 5xx)."""
    if not isinstance(exc, PurserError):
        log.error("unhandled error on %s %s", method, path, exc_info=exc)
        return 500, error_body(500, "internal_error", INTERNAL_ERROR_MESSAGE)
    if exc.status >= 500:
        log.warning("%s on %s %s: %s", exc.code, method, path, exc)
    return exc.status, error_body(exc.status, exc.code, str(exc) or exc.code.replace("_", " "))


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
            status, body = map_exception(exc, str(scope.get("method", "")), str(scope.get("path", "")))
            headers = exc.headers if isinstance(exc, WebError) else {}
            response = JSONResponse(body, status_code=status, headers=headers)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers and the mapping middleware on `app`."""
    app.add_exception_handler(WebError, _on_web_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_middleware(ErrorMapping)


__all__ = [
    "INTERNAL_ERROR_MESSAGE",
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
