"""Dashboard sessions (DESIGN §11): server-side rows behind an HttpOnly, SameSite=Strict cookie, each with
its own CSRF synchronizer token.

The cookie holds a 256-bit secret; the database keeps its SHA-256, so a copy of the database opens no
session. A session ends at its expiry (`ttl`, absolute: no sliding renewal), at sign-out, or when its
person is disabled. Every state-changing request made with the cookie must send the session's CSRF token
in a header, which a cross-site page cannot read or set; a bearer token needs none (no ambient credential).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from purser.people.accounts import PeopleService, Principal
from purser.people.credentials import new_id, new_secret, secret_hash
from purser.people.errors import AuthenticationFailed, CsrfRejected
from purser.ports.people import PeopleRepository, Person, Session, SessionId

SESSION_COOKIE = "purser_session"
"""The cookie's name."""

CSRF_HEADER = "X-CSRF-Token"
"""Where the dashboard sends the session's CSRF token on every state-changing request."""

DEFAULT_TTL = timedelta(hours=8)
"""A working day; then the person signs in again."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing, so they need no CSRF token."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sessions:
    """Open, resolve and end dashboard sessions; check their CSRF tokens."""

    def __init__(
        self,
        repo: PeopleRepository,
        people: PeopleService,
        *,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """Sessions last `ttl` from sign-in; `clock` is the wall clock (tests move it)."""
        if ttl <= timedelta(0):
            raise ValueError("a session needs a positive lifetime")
        self.repo = repo
        self.people = people
        self.ttl = ttl
        self.clock = clock

    def open(self, person: Person) -> tuple[str, Session]:
        """A new session for `person`: (the cookie's secret, shown once; the session row)."""
        if person.disabled:
            raise AuthenticationFailed("this account is disabled")
        now = self.clock()
        secret = new_secret()
        session = Session(
            id=SessionId(new_id("ses_")),
            person_id=person.id,
            secret_hash=secret_hash(secret),
            csrf_token=new_secret(),
            created_at=now,
            expires_at=now + self.ttl,
        )
        self.repo.purge_expired(now, now - timedelta(minutes=10))
        self.repo.add_session(session)
        return secret, session

    def resolve(self, secret: str) -> Principal:
        """The principal of a live session cookie; `AuthenticationFailed` when unknown, expired or disabled."""
        session = self.repo.session(secret_hash(secret)) if secret else None
        if session is None:
            raise AuthenticationFailed("not signed in (or the session ended): sign in again")
        if session.expires_at <= self.clock():
            self.repo.end_sessions(session.person_id, session_id=session.id)
            raise AuthenticationFailed("the session expired: sign in again")
        principal = self.people.principal(session.person_id)
        return Principal(principal.name, principal.role, principal.person, session)

    def close(self, session: Session) -> None:
        """Sign out: the session's cookie stops working at once."""
        self.repo.end_sessions(session.person_id, session_id=session.id)

    @staticmethod
    def check_csrf(session: Session, method: str, presented: str | None) -> None:
        """`CsrfRejected` unless a state-changing `method` carries the session's CSRF token (constant-time)."""
        if method.upper() in SAFE_METHODS:
            return
        if not presented:
            raise CsrfRejected(f"missing {CSRF_HEADER} header: state-changing dashboard requests must send it")
        if not hmac.compare_digest(presented.encode("utf-8"), session.csrf_token.encode("utf-8")):
            raise CsrfRejected(f"wrong {CSRF_HEADER}: reload the dashboard")


__all__ = ["CSRF_HEADER", "DEFAULT_TTL", "SAFE_METHODS", "SESSION_COOKIE", "Sessions"]
