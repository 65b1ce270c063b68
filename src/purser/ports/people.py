"""The people's ports (DESIGN §11): accounts, their API tokens, dashboard sessions and OIDC sign-ins.

    people          name / id / slack id / OIDC subject  -> Person        `purser admin create-user`
    tokens          sha256(token)                         -> ApiToken      `Authorization: Bearer <token>`
    sessions        sha256(cookie secret)                 -> Session       the dashboard's cookie
    oidc logins     sha256(state)                         -> OidcLogin     one pending SSO round trip

Only hashes of secrets are stored: an API token or a session cookie is shown once and a copy of
the database cannot be replayed against the server. Times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NewType, Protocol

from purser.errors import PurserError
from purser.money import Money

PersonId = NewType("PersonId", str)
"""per_<random>: one person's account."""

TokenId = NewType("TokenId", str)
"""tok_<random>: one API token's row (the token itself is never stored)."""

SessionId = NewType("SessionId", str)
"""ses_<random>: one dashboard session's row."""

Role = Literal["viewer", "agent", "approver", "admin"]
"""viewer reads; agent also replies in handed-off conversations; approver also decides approvals up to a
limit; admin does everything (and has no limit)."""

ROLES: tuple[Role, ...] = ("viewer", "agent", "approver", "admin")
"""Every role, weakest first."""

Permission = Literal["read", "reply", "approve", "admin"]
"""What an admin API route needs."""

_GRANTS: dict[Role, frozenset[Permission]] = {
    "viewer": frozenset({"read"}),
    "agent": frozenset({"read", "reply"}),
    "approver": frozenset({"read", "reply", "approve"}),
    "admin": frozenset({"read", "reply", "approve", "admin"}),
}


def grants(role: Role, permission: Permission) -> bool:
    """True when `role` may do what `permission` names."""
    return permission in _GRANTS[role]


def with_article(role: Role) -> str:
    """`a viewer`, `an agent`, `an approver`, `an admin` (for messages)."""
    return f"{'a' if role == 'viewer' else 'an'} {role}"


class PersonExists(PurserError, ValueError):
    """A person with that name (or Slack id) exists already; nothing was created."""

    code = "person_exists"
    status = 409


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who signs in to the dashboard, calls the admin API or presses Slack's Approve."""

    id: PersonId
    name: str
    """Unique; the audit actor is `human:<name>`."""
    role: Role
    approval_limit: Money | None
    """The most one approval of theirs may move (in the policy currency); None: no limit (admins), or not an
    approver."""
    slack_user_id: str | None
    """The Slack user (U...) whose button presses are theirs."""
    created_at: datetime
    disabled: bool = False
    password_hash: str | None = field(default=None, repr=False)
    """argon2id; None: no password (API token or SSO only)."""
    oidc_subject: str | None = None
    """`<issuer> <sub>` of the SSO identity linked to this person."""

    @property
    def actor(self) -> str:
        """The audit actor: `human:<name>`."""
        return f"human:{self.name}"

    def may(self, permission: Permission) -> bool:
        """True when the person is enabled and their role grants `permission`."""
        return not self.disabled and grants(self.role, permission)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """One API token of a person (several per person, each revocable)."""

    id: TokenId
    person_id: PersonId
    token_hash: str = field(repr=False)
    """hex SHA-256 of the token (the token is 256 random bits, so no salt or slow hash is needed)."""
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A dashboard session: the cookie carries a secret whose hash is `secret_hash`."""

    id: SessionId
    person_id: PersonId
    secret_hash: str = field(repr=False)
    csrf_token: str = field(repr=False)
    """The synchronizer token every state-changing request of this session must send back."""
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OidcLogin:
    """One SSO round trip under way: what the callback must match (state, nonce) and prove (PKCE)."""

    state_hash: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    created_at: datetime


class PeopleRepository(Protocol):
    """Accounts, tokens, sessions and pending SSO logins; each call its own short transaction."""

    def add(self, person: Person) -> None:
        """Insert a person; `PersonExists` when the name or Slack id is taken."""
        ...

    def get(self, person_id: PersonId) -> Person | None:
        """One person by id."""
        ...

    def by_name(self, name: str) -> Person | None:
        """One person by name (exact)."""
        ...

    def by_slack(self, slack_user_id: str) -> Person | None:
        """The person linked to a Slack user."""
        ...

    def by_subject(self, subject: str) -> Person | None:
        """The person linked to an SSO identity (`<issuer> <sub>`)."""
        ...

    def everyone(self) -> list[Person]:
        """Everyone, by name."""
        ...

    def update(self, person: Person) -> None:
        """Store the person's new state (role, limit, disabled, password, links)."""
        ...

    def add_token(self, token: ApiToken) -> None:
        """Insert a token row."""
        ...

    def token(self, token_hash: str) -> ApiToken | None:
        """The token row with that hash."""
        ...

    def tokens_of(self, person_id: PersonId) -> list[ApiToken]:
        """A person's tokens, oldest first."""
        ...

    def revoke_tokens(self, person_id: PersonId, at: datetime, *, token_id: TokenId | None = None) -> int:
        """Revoke one token (or all of a person's); how many were live."""
        ...

    def add_session(self, session: Session) -> None:
        """Insert a session."""
        ...

    def session(self, secret_hash: str) -> Session | None:
        """The session whose cookie hashes to `secret_hash`."""
        ...

    def end_sessions(self, person_id: PersonId, *, session_id: SessionId | None = None) -> None:
        """Delete one session (sign-out) or all of a person's (disabled)."""
        ...

    def add_oidc_login(self, login: OidcLogin) -> None:
        """Insert a pending SSO login."""
        ...

    def take_oidc_login(self, state_hash: str) -> OidcLogin | None:
        """Delete and return the pending login (each state is usable once)."""
        ...

    def purge_expired(self, now: datetime, oidc_before: datetime) -> None:
        """Delete sessions past expiry and SSO logins older than `oidc_before`."""
        ...


__all__ = [
    "ROLES",
    "ApiToken",
    "OidcLogin",
    "PeopleRepository",
    "Permission",
    "Person",
    "PersonExists",
    "PersonId",
    "Role",
    "Session",
    "SessionId",
    "TokenId",
    "grants",
    "with_article",
]
