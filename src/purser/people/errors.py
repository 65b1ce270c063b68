"""The people's errors: bad account input, failed authentication, a forbidden request, a failed SSO sign-in.

Messages name what is wrong and never carry a secret (a token, a password, a cookie, an SSO code).
"""

from __future__ import annotations

from purser.errors import PurserError


class InvalidPerson(PurserError, ValueError):
    """An account request with a bad name, role, limit or Slack id; nothing was changed."""

    code = "invalid_person"
    status = 422


class UnknownPerson(PurserError, LookupError):
    """No account has that name."""

    code = "unknown_person"
    status = 404


class AuthenticationFailed(PurserError):
    """No valid credentials: a wrong or revoked token, a wrong password, an expired session, a disabled
    account. The message says which kind of credential failed, never which part of it."""

    code = "unauthorized"
    status = 401


class NotPermitted(PurserError):
    """The authenticated person's role does not allow the request; nothing was changed."""

    code = "not_permitted"
    status = 403


class CsrfRejected(NotPermitted):
    """A state-changing dashboard request without the session's CSRF token; nothing was changed."""

    code = "csrf_rejected"


class SsoError(PurserError):
    """An SSO sign-in that cannot be accepted (bad state, signature, issuer, audience, nonce or code)."""

    code = "sso_failed"
    status = 401


class SsoUnavailable(SsoError):
    """The identity provider did not answer (discovery, keys or token endpoint): nobody signed in."""

    code = "sso_unavailable"
    status = 503


class SsoNotConfigured(SsoError):
    """SSO sign-in was asked for but no `oidc:` issuer is configured."""

    code = "sso_not_configured"
    status = 404


__all__ = [
    "AuthenticationFailed",
    "CsrfRejected",
    "InvalidPerson",
    "NotPermitted",
    "SsoError",
    "SsoNotConfigured",
    "SsoUnavailable",
    "UnknownPerson",
]
