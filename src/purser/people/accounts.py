"""Accounts (DESIGN §11): create people, their API tokens and passwords; authenticate a bearer token or a
password; find the approver behind a Slack user.

`PURSER_ADMIN_TOKEN` stays the bootstrap administrator: it authenticates as `admin` (role admin, no
limit) and has no row. Everyone else is a `Person` in the store.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from purser.money import InvalidAmount, Money
from purser.people.credentials import (
    MIN_PASSWORD_LENGTH,
    TOKEN_PREFIX,
    hash_password,
    new_id,
    new_secret,
    secret_hash,
    verify_password,
)
from purser.people.errors import AuthenticationFailed, InvalidPerson, UnknownPerson
from purser.ports.people import (
    ROLES,
    ApiToken,
    PeopleRepository,
    Person,
    PersonId,
    Role,
    Session,
    TokenId,
    with_article,
)

BOOTSTRAP_ADMIN = "admin"
"""The name `PURSER_ADMIN_TOKEN` authenticates as (audit actor `human:admin`); no person may take it."""

_RESERVED = frozenset({BOOTSTRAP_ADMIN, "system", "customer", "model"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is: a person, or the bootstrap administrator (`person` None)."""

    name: str
    """The audit actor is `human:<name>`."""
    role: Role
    person: Person | None = None
    session: Session | None = None
    """The dashboard session the request came with (None: a bearer token)."""

    @property
    def limit(self) -> Money | None:
        """The person's approval limit (None: none set)."""
        return self.person.approval_limit if self.person is not None else None


class PeopleService:
    """Accounts and their credentials over a `PeopleRepository`."""

    def __init__(
        self,
        repo: PeopleRepository,
        *,
        currency: str,
        admin_token: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`currency`: the policy currency limits are stated in; `admin_token`: the bootstrap administrator's."""
        self.repo = repo
        self.currency = currency
        self.admin_token = admin_token
        self.clock = clock

    # -- accounts ---------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        role: str,
        *,
        limit: str | None = None,
        slack_user_id: str | None = None,
        password: str | None = None,
    ) -> tuple[Person, str]:
        """A new person and their first API token (returned once; only its hash is kept).

        `InvalidPerson` names a bad name, role, limit, Slack id or password; `PersonExists` a taken name."""
        checked_role = _role(role)
        person = Person(
            id=PersonId(new_id("per_")),
            name=_name(name),
            role=checked_role,
            approval_limit=self._limit(checked_role, limit),
            slack_user_id=_slack(slack_user_id),
            created_at=self.clock(),
            password_hash=_password_hash(password) if password is not None else None,
        )
        self.repo.add(person)
        return person, self.new_token(person.name)

    def person(self, name: str) -> Person:
        """The person called `name`; `UnknownPerson` otherwise."""
        found = self.repo.by_name(name)
        if found is None:
            raise UnknownPerson(f"no person named {name!r} (`purser admin list-users` lists them)")
        return found

    def everyone(self) -> list[Person]:
        """Everyone, by name."""
        return self.repo.everyone()

    def disable(self, name: str) -> Person:
        """Disable `name`: their tokens and sessions stop working at once, their Slack presses are refused."""
        person = self.person(name)
        disabled = replace(person, disabled=True)
        self.repo.update(disabled)
        self.repo.revoke_tokens(person.id, self.clock())
        self.repo.end_sessions(person.id)
        return disabled

    def set_password(self, name: str, password: str) -> None:
        """Set (or replace) `name`'s dashboard password."""
        person = self.person(name)
        self.repo.update(replace(person, password_hash=_password_hash(password)))

    def link_subject(self, person: Person, subject: str) -> Person:
        """Link an SSO identity (`<issuer> <sub>`) to `person`."""
        linked = replace(person, oidc_subject=subject)
        self.repo.update(linked)
        return linked

    # -- tokens -----------------------------------------------------------------------------------
    def new_token(self, name: str) -> str:
        """A new API token for `name` (their other tokens stay valid); returned once."""
        person = self.person(name)
        if person.disabled:
            raise InvalidPerson(f"{name} is disabled; a disabled person gets no token")
        token = new_secret(TOKEN_PREFIX)
        row = ApiToken(TokenId(new_id("tok_")), person.id, secret_hash(token), self.clock())
        self.repo.add_token(row)
        return token

    def revoke_token(self, name: str, token_id: str) -> bool:
        """Revoke one of `name`'s tokens; False when it was not a live token of theirs."""
        person = self.person(name)
        return self.repo.revoke_tokens(person.id, self.clock(), token_id=TokenId(token_id)) == 1

    # -- authentication ---------------------------------------------------------------------------
    def authenticate_token(self, token: str) -> Principal:
        """The principal a bearer token belongs to: the bootstrap administrator or a live person's token."""
        presented = token.strip()
        if self.admin_token and hmac.compare_digest(presented.encode("utf-8"), self.admin_token.encode("utf-8")):
            return Principal(BOOTSTRAP_ADMIN, "admin")
        row = self.repo.token(secret_hash(presented)) if presented.startswith(TOKEN_PREFIX) else None
        if row is None or row.revoked_at is not None:
            raise AuthenticationFailed("unknown or revoked token")
        person = self.repo.get(row.person_id)
        if person is None or person.disabled:
            raise AuthenticationFailed("this token's account is disabled")
        return Principal(person.name, person.role, person)

    def authenticate_password(self, name: str, password: str) -> Person:
        """The enabled person whose password this is; `AuthenticationFailed` otherwise (same message for a
        wrong name and a wrong password)."""
        person = self.repo.by_name(name) if _NAME.fullmatch(name) else None
        ok = verify_password(person.password_hash if person else None, password)
        if person is None or not ok or person.disabled:
            raise AuthenticationFailed("wrong name or password")
        return person

    def principal(self, person_id: PersonId) -> Principal:
        """The principal of an enabled person (a session's owner); `AuthenticationFailed` otherwise."""
        person = self.repo.get(person_id)
        if person is None or person.disabled:
            raise AuthenticationFailed("this session's account is disabled")
        return Principal(person.name, person.role, person)

    # -- approvers --------------------------------------------------------------------------------
    def approver(self, name: str) -> Person | None:
        """The person who decides as `name` (None: not a person, e.g. the bootstrap administrator)."""
        if name == BOOTSTRAP_ADMIN or not _NAME.fullmatch(name):
            return None
        return self.repo.by_name(name)

    def slack_approver(self, slack_user_id: str) -> Person | None:
        """The enabled approver or admin linked to this Slack user, or None."""
        person = self.repo.by_slack(slack_user_id)
        if person is None or not person.may("approve"):
            return None
        return person

    def _limit(self, role: Role, limit: str | None) -> Money | None:
        if limit is None:
            if role == "approver":
                raise InvalidPerson("an approver needs --limit AMOUNT: the most one approval of theirs may move")
            return None
        if role not in ("approver", "admin"):
            raise InvalidPerson(f"{with_article(role)} decides no approvals, so --limit does not apply")
        try:
            money = Money.parse(limit, self.currency)
        except InvalidAmount as exc:
            raise InvalidPerson(f"--limit: {exc}") from None
        if money.minor <= 0:
            raise InvalidPerson(f"--limit must be more than zero, got {limit!r}")
        if money.minor > 10**15:
            raise InvalidPerson(f"--limit {limit!r} is beyond any real approval")
        return money


def _role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise InvalidPerson(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")


def _name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidPerson(
            f"bad name {name!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if name.lower() in _RESERVED:
        raise InvalidPerson(f"the name {name!r} is reserved")
    return name


def _slack(slack_user_id: str | None) -> str | None:
    if slack_user_id is None:
        return None
    if not _SLACK_USER.fullmatch(slack_user_id):
        raise InvalidPerson(f"bad Slack user id {slack_user_id!r}: expected an id such as U024BE7LH")
    return slack_user_id


def _password_hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPerson(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InvalidPerson("the password must have at most 1024 characters")
    return hash_password(password)


__all__ = ["BOOTSTRAP_ADMIN", "PeopleService", "Principal"]
