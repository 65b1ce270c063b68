"""`LeanRoute`: a FastAPI route that reads an ordinary request without FastAPI's general machinery.

FastAPI's request handler is general: for every request it walks the route's dependency tree,
looks each parameter up through several layers (aliases, parameter models, sequence checks), parses
the `Content-Type` header with `email.message` and consults its telemetry hooks. For the customer
API's hot routes (a turn, a new conversation) that is about as much CPU as the rest of the web layer.

A `LeanRoute` keeps everything FastAPI derives from the route (matching, the OpenAPI document, the
`RequestValidationError` and its 422 body) and FastAPI's own handler. In front of that handler it
puts a short path that only takes requests FastAPI would accept as they are, and computes the same
arguments FastAPI would: each parameter validated by the same pydantic field (`ModelField.validate`),
the body decoded by the same `json.loads` and validated by the route's body field. Anything else — a
missing or unusual `Content-Type`, a body that is not JSON, a parameter or body that fails validation,
a read error, active telemetry — goes to FastAPI's handler, which reads the request again (Starlette
caches the body) and answers exactly as it always does. Routes whose signature the short path does
not cover (dependencies, query or cookie parameters, form bodies, endpoints that do not return a
`Response`) simply keep FastAPI's handler.
"""

from __future__ import annotations

import copy
import inspect
import json
import typing
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import params
from fastapi import routing as fastapi_routing
from fastapi._compat.shared import field_annotation_is_sequence
from fastapi.dependencies import utils as dependency_utils
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import HTTPException
from fastapi.telemetry import get_telemetry_data
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["LeanRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_JSON = "application/json"
"""The one `Content-Type` the short path takes (what browsers' `fetch` and httpx send for JSON); FastAPI
accepts more (`+json` subtypes, parameters, other spellings), and gets those requests itself."""


@dataclass(frozen=True)
class _Param:
    """A path or header parameter: its argument name, the request keys FastAPI tries (in order), its field."""

    name: str
    keys: tuple[str, ...]
    field: Any  # fastapi's ModelField
    loc: str  # "path" or "header"
    required: bool
    plain_default: bool
    """The default is used as it is when the parameter is absent: None (copying it is a no-op) and not
    validated (`validate_default` off), so the short path need not copy or validate it."""


@dataclass(frozen=True)
class _Plan:
    """What the short path needs to call one route's endpoint."""

    call: Callable[..., Coroutine[Any, Any, Any]]
    request_name: str | None
    path: tuple[_Param, ...]
    headers: tuple[_Param, ...]
    body: Any  # the body's ModelField, or None


def _param(field: Any, loc: str) -> _Param | None:
    """The short path's view of a path or header parameter (None when it needs FastAPI's general lookup)."""
    info = field.field_info
    if not isinstance(info, params.Param) or dependency_utils._get_param_model(field) is not None:
        return None
    if dependency_utils._is_json_field(field) or field_annotation_is_sequence(info.annotation):
        return None
    keys = tuple(key for _alias, key in dependency_utils._get_param_aliases(field))
    if not keys:
        return None
    required = bool(info.is_required())
    plain_default = not required and field.default is None and not info.validate_default
    return _Param(field.name, keys, field, loc, required, plain_default)


def _plan(route: Any) -> _Plan | None:
    """The plan for `route` (an `APIRoute` or FastAPI's view of it inside an included router), or None."""
    dependant: Dependant = route.dependant
    call = dependant.call
    if call is None or not inspect.iscoroutinefunction(call):
        return None
    if (
        dependant.dependencies
        or dependant.query_params
        or dependant.cookie_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or getattr(route, "stream_item_field", None) is not None
        or getattr(route, "is_json_stream", False)
    ):
        return None
    try:
        returns = typing.get_type_hints(call).get("return")
    except Exception:  # an annotation that does not resolve: keep FastAPI's handler
        return None
    if not (inspect.isclass(returns) and issubclass(returns, Response)):
        return None  # FastAPI would serialize the result: only endpoints that answer a Response themselves
    path = tuple(_param(f, "path") for f in dependant.path_params)
    headers = tuple(_param(f, "header") for f in dependant.header_params)
    if any(p is None for p in path) or any(p is None for p in headers):
        return None
    body = None
    if dependant.body_params:
        body = route.body_field
        if (
            len(dependant.body_params) != 1
            or route._embed_body_fields
            or body is None
            or isinstance(body.field_info, params.Form)
        ):
            return None
    return _Plan(
        call=call,
        request_name=dependant.request_param_name,
        path=tuple(p for p in path if p is not None),
        headers=tuple(p for p in headers if p is not None),
        body=body,
    )


_REJECTED = object()


def _value(param: _Param, received: Any) -> Any:
    """The parameter's validated value as FastAPI computes it, or `_REJECTED` (FastAPI then answers)."""
    raw = None
    for key in param.keys:  # the first key present, as FastAPI picks it
        raw = received.get(key)
        if raw is not None:
            break
    field = param.field
    if raw is None:
        if param.plain_default:
            return None
        if param.required:
            return _REJECTED
        default = copy.deepcopy(field.default)
        if not field.field_info.validate_default:
            return default
        raw = default
    value, errors = field.validate(raw, {}, loc=(param.loc, param.keys[0]))
    return _REJECTED if errors else value


def _content_type(request: Request) -> bytes | None:
    for name, value in request.scope["headers"]:
        if name == b"content-type":
            return bytes(value)
    return None


def lean_handler(plan: _Plan, full: Handler) -> Handler:
    """The short path for `plan`, falling back to FastAPI's handler `full`."""

    async def handler(request: Request) -> Response:
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope or get_telemetry_data() is not None:
            return await full(request)  # FastAPI's body-size limit or its telemetry: its own handler
        values: dict[str, Any] = {}
        if plan.request_name is not None:
            values[plan.request_name] = request
        path_params = request.scope.get("path_params", {})
        for param in plan.path:
            value = _value(param, path_params)
            if value is _REJECTED:
                return await full(request)
            values[param.name] = value
        if plan.headers:
            headers = request.headers
            for param in plan.headers:
                value = _value(param, headers)
                if value is _REJECTED:
                    return await full(request)
                values[param.name] = value
        if plan.body is not None:
            try:
                raw = await request.body()
            except HTTPException:
                raise  # FastAPI re-raises these too
            except Exception:
                return await full(request)  # FastAPI's 400 for a body it cannot read
            if not raw or _content_type(request) != _JSON.encode():
                return await full(request)
            try:
                document = json.loads(raw)  # what Starlette's `Request.json` runs
            except Exception:
                return await full(request)  # FastAPI's 422 (json_invalid) or 400 (e.g. nesting too deep)
            body, errors = plan.body.validate(document, {}, loc=("body",))
            if errors:
                return await full(request)
            values[plan.body.name] = body
        response = await plan.call(**values)
        if not isinstance(response, Response):  # pragma: no cover - the plan requires `-> Response`
            raise TypeError(f"{plan.call.__qualname__} returned {type(response).__name__}, not a Response")
        return response

    return handler


class LeanRoute(fastapi_routing.APIRoute):
    """An `APIRoute` with the short path above in front of FastAPI's handler (see the module's docstring)."""

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, behind the short path when the route's signature allows one."""
        full = super().get_route_handler()
        # Inside an included router FastAPI builds the handler from its view of the route (prefix,
        # the router's dependencies): plan from that same view.
        context_var = getattr(fastapi_routing, "_effective_route_context_var", None)
        context = context_var.get() if context_var is not None else None
        route = context if context is not None and getattr(context, "original_route", None) is self else self
        plan = _plan(route)
        return full if plan is None else lean_handler(plan, full)
