"""Who is calling the admin API, and the dashboard's sign-in (DESIGN §11).

    Authorization: Bearer <token>        a person's API token, or PURSER_ADMIN_TOKEN (the bootstrap admin)
    Cookie: purser_session=<secret>      a dashboard session; state-changing requests also send X-CSRF-Token

    POST /api/session/login              {"name", "password"} -> session cookie + {"name", "role", "csrf_token"}
    POST /api/session/logout             ends the session (CSRF token required)
    GET  /api/session/me                 who is signed in (and the session's CSRF token)
    GET  /api/session/methods            {"password": true, "sso": bool}: what the sign-in page offers
    GET  /api/session/sso                302 to the OIDC issuer (authorization code flow with PKCE)
    GET  /api/session/sso/callback       the issuer's redirect: session cookie, then 303 to /admin

`authenticated` and `require(permission)` are the dependencies every admin route uses: viewer reads,
agent replies in handed-off conversations, approver decides approvals (up to their limit), admin all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from purser.people import BOOTSTRAP_ADMIN, PeopleService, Principal
from purser.people.errors import AuthenticationFailed, NotPermitted, SsoNotConfigured
from purser.people.sessions import CSRF_HEADER, SESSION_COOKIE, Sessions
from purser.ports.people import Permission, Session, grants, with_article
from purser.web.app import WebState, state_of
from purser.web.errors import ServiceUnavailable, Unauthorized
from purser.web.limits import Rate, TokenBuckets
from purser.web.schemas import error_responses

__all__ = ["authenticated", "require", "router"]


def _people(state: WebState) -> PeopleService:
    people = state.container.people
    if people is None:  # pragma: no cover - every bootstrap container has it
        raise ServiceUnavailable("accounts are not set up in this server")
    return people


def _sessions(state: WebState) -> Sessions:
    sessions = state.container.sessions
    if sessions is None:  # pragma: no cover - every bootstrap container has it
        raise ServiceUnavailable("dashboard sessions are not set up in this server")
    return sessions


def _from_bearer(state: WebState, header: str) -> Principal:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    if state.admin.token:
        try:
            state.admin.verify(header)
        except Unauthorized:
            pass  # not the bootstrap token: a person's, perhaps
        else:
            return Principal(BOOTSTRAP_ADMIN, "admin")
    return _people(state).authenticate_token(value)


def _principal(state: WebState, request: Request) -> Principal:
    header = request.headers.get("authorization")
    if header:
        return _from_bearer(state, header)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthorized("sign in, or send Authorization: Bearer <token>")
    principal = _sessions(state).resolve(secret)
    assert principal.session is not None
    # The cookie rides along on any request the browser sends, so a change needs the token only our page reads.
    Sessions.check_csrf(principal.session, request.method, request.headers.get(CSRF_HEADER))
    return principal


async def authenticated(request: Request) -> Principal:
    """The caller: a bearer token (a person's or the bootstrap admin's) or a dashboard session (with its CSRF
    token on state-changing requests); 401 otherwise, 403 on a missing or wrong CSRF token."""
    state = state_of(request)
    return await run_in_threadpool(_principal, state, request)


def require(permission: Permission) -> Callable[..., Any]:
    """A dependency: the caller, when their role grants `permission`; 403 naming the role otherwise."""

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not grants(principal.role, permission):
            role = with_article(principal.role)
            raise NotPermitted(f"{principal.name} is {role}; this needs the {_needs(permission)} role or higher")
        return principal

    return dependency


def _needs(permission: Permission) -> str:
    return {"read": "viewer", "reply": "agent", "approve": "approver", "admin": "admin"}[permission]


# -- sign-in routes --------------------------------------------------------------------------------
router = APIRouter(prefix="/api/session", tags=["session"])


LOGIN_RATE = Rate(burst=10, per_second=1 / 30)
"""Password attempts per name (in each process): ten at once, then one every 30 s (argon2 costs the
server too, and a name must not be guessable at the IP limit's pace)."""


def _login_buckets(request: Request) -> TokenBuckets:
    state = request.app.state
    buckets = getattr(state, "purser_login_buckets", None)
    if buckets is None:
        buckets = TokenBuckets(LOGIN_RATE, max_keys=10_000)
        state.purser_login_buckets = buckets
    assert isinstance(buckets, TokenBuckets)
    return buckets


class Login(BaseModel):
    """A password sign-in."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _me(principal: Principal) -> dict[str, Any]:
    limit = principal.limit
    body: dict[str, Any] = {
        "name": principal.name,
        "role": principal.role,
        "actor": f"human:{principal.name}",
        "approval_limit": limit.to_json() if limit is not None else None,
    }
    if principal.session is not None:
        body["csrf_token"] = principal.session.csrf_token
        body["expires_at"] = principal.session.expires_at.isoformat()
    return body


def _secure(state: WebState, request: Request) -> bool:
    return request.url.scheme == "https" or state.container.settings.public_url.startswith("https://")


def _with_cookie(response: Response, state: WebState, request: Request, secret: str, session: Session) -> Response:
    max_age = int((session.expires_at - session.created_at).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=_secure(state, request),
        samesite="strict",
    )
    return response


@router.post("/login", summary="Sign in with a password", responses=error_responses(401, 422, 429))
async def login(request: Request, body: Login) -> Response:
    """Check the password (argon2) and open a session: an HttpOnly, SameSite=Strict cookie and its CSRF token."""
    state = state_of(request)
    _login_buckets(request).check(body.name.lower(), "name")

    def sign_in() -> tuple[str, Principal]:
        person = _people(state).authenticate_password(body.name, body.password)
        secret, session = _sessions(state).open(person)
        return secret, Principal(person.name, person.role, person, session)

    secret, principal = await run_in_threadpool(sign_in)
    assert principal.session is not None
    return _with_cookie(JSONResponse(_me(principal)), state, request, secret, principal.session)


@router.post("/logout", summary="Sign out", responses=error_responses(401, 403))
async def logout(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> Response:
    """End the dashboard session (its cookie stops working at once) and clear the cookie."""
    state = state_of(request)
    if principal.session is not None:
        await run_in_threadpool(_sessions(state).close, principal.session)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=_secure(state, request), samesite="strict")
    return response


@router.get("/me", summary="Who is signed in", responses=error_responses(401))
async def me(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, Any]:
    """The caller's name, role, approval limit and (with a session) its CSRF token and expiry."""
    return _me(principal)


@router.get("/methods", summary="How one may sign in")
def methods(request: Request) -> dict[str, Any]:
    """Password sign-in is always offered; SSO when an OIDC issuer is configured."""
    return {"password": True, "sso": state_of(request).container.sso is not None}


@router.get("/sso", summary="Sign in with SSO (OIDC)", responses=error_responses(404))
async def sso_start(request: Request) -> Response:
    """Redirect to the issuer's authorization endpoint (code flow, PKCE S256, state and nonce kept here)."""
    state = state_of(request)
    sso = state.container.sso
    if sso is None:
        raise SsoNotConfigured("SSO is not configured: set oidc.issuer, oidc.client_id and oidc.client_secret")
    url = await run_in_threadpool(sso.begin)
    return RedirectResponse(url, status_code=302)


@router.get("/sso/callback", summary="The OIDC issuer's redirect", responses=error_responses(401, 404))
async def sso_callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state_param: Annotated[str | None, Query(alias="state", max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Exchange the code (with the PKCE verifier), verify the id token (signature, issuer, audience, expiry,
    nonce), map it to a person and open a session; then back to the dashboard."""
    state = state_of(request)
    sso = state.container.sso
    if sso is None:
        raise SsoNotConfigured("SSO is not configured")
    if error:
        raise AuthenticationFailed(f"the identity provider refused the sign-in ({error})")
    if not code or not state_param:
        raise AuthenticationFailed("the SSO callback needs both code and state")

    def finish() -> tuple[str, Session]:
        person = sso.finish(code, state_param)
        return _sessions(state).open(person)

    secret, session = await run_in_threadpool(finish)
    return _with_cookie(RedirectResponse("/admin", status_code=303), state, request, secret, session)
