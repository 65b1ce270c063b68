"""`purser.ports.people.PeopleRepository` and `purser.ports.approvals.ApprovalSignatures` on SQLAlchemy.

Each call is its own short transaction. Uniqueness does the checking: a taken name or Slack id loses on
its unique constraint (`PersonExists`), a second signature by the same approver on the primary key
(`AlreadySigned`); the signatures of one request are serialized by a named lock on PostgreSQL and by
SQLite's single write lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.money import Money
from purser.ports.approvals import AlreadySigned
from purser.ports.people import (
    ApiToken,
    OidcLogin,
    Person,
    PersonExists,
    PersonId,
    Session,
    SessionId,
    TokenId,
)
from purser.store.gateway_tables import lock_rows
from purser.store.people_tables import pp_approval_signatures, pp_oidc_logins, pp_people, pp_sessions, pp_tokens
from purser.store.unit_of_work import SqlUnitOfWork

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from purser.ports.unit_of_work import UnitOfWork
    from purser.store.db import Database

__all__ = ["SqlApprovalSignatures", "SqlPeopleRepository"]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _person(row: Any) -> Person:
    limit = Money(int(row.limit_amount), row.limit_currency) if row.limit_amount is not None else None
    return Person(
        id=PersonId(row.id),
        name=row.name,
        role=row.role,
        approval_limit=limit,
        slack_user_id=row.slack_user_id,
        created_at=_time(row.created_at),
        disabled=bool(row.disabled),
        password_hash=row.password_hash,
        oidc_subject=row.oidc_subject,
    )


def _person_values(person: Person) -> dict[str, Any]:
    limit = person.approval_limit
    return {
        "name": person.name,
        "role": person.role,
        "limit_amount": limit.minor if limit is not None else None,
        "limit_currency": limit.currency if limit is not None else None,
        "slack_user_id": person.slack_user_id,
        "oidc_subject": person.oidc_subject,
        "password_hash": person.password_hash,
        "disabled": person.disabled,
    }


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=TokenId(row.id),
        person_id=PersonId(row.person_id),
        token_hash=row.token_hash,
        created_at=_time(row.created_at),
        revoked_at=_time(row.revoked_at) if row.revoked_at else None,
    )


class SqlPeopleRepository:
    """People, tokens, sessions and pending SSO logins in the `pp_*` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _one_person(self, where: Any) -> Person | None:
        def unit(conn: Connection) -> Person | None:
            row = conn.execute(select(pp_people).where(where)).first()
            return _person(row) if row is not None else None

        return self.db.run_read(unit)

    # -- people -----------------------------------------------------------------------------------
    def add(self, person: Person) -> None:
        """Insert a person; `PersonExists` when the name, Slack id or SSO identity is taken."""
        values = {"id": person.id, "created_at": _iso(person.created_at), **_person_values(person)}
        try:
            self.db.run_write(lambda conn: conn.execute(insert(pp_people).values(**values)))
        except IntegrityError:
            raise PersonExists(f"a person named {person.name!r} (or with that Slack user) exists already") from None

    def get(self, person_id: PersonId) -> Person | None:
        """One person by id."""
        return self._one_person(pp_people.c.id == person_id)

    def by_name(self, name: str) -> Person | None:
        """One person by name."""
        return self._one_person(pp_people.c.name == name)

    def by_slack(self, slack_user_id: str) -> Person | None:
        """The person linked to a Slack user."""
        return self._one_person(pp_people.c.slack_user_id == slack_user_id)

    def by_subject(self, subject: str) -> Person | None:
        """The person linked to an SSO identity."""
        return self._one_person(pp_people.c.oidc_subject == subject)

    def everyone(self) -> list[Person]:
        """Everyone, by name."""
        return self.db.run_read(
            lambda conn: [_person(r) for r in conn.execute(select(pp_people).order_by(pp_people.c.name))]
        )

    def update(self, person: Person) -> None:
        """Store the person's new state."""
        values = _person_values(person)
        try:
            self.db.run_write(
                lambda conn: conn.execute(update(pp_people).where(pp_people.c.id == person.id).values(**values))
            )
        except IntegrityError:
            raise PersonExists(
                f"that Slack user or SSO identity belongs to someone other than {person.name!r}"
            ) from None

    # -- tokens -----------------------------------------------------------------------------------
    def add_token(self, token: ApiToken) -> None:
        """Insert a token row."""
        values = {
            "id": token.id,
            "person_id": token.person_id,
            "token_hash": token.token_hash,
            "created_at": _iso(token.created_at),
            "revoked_at": None,
        }
        self.db.run_write(lambda conn: conn.execute(insert(pp_tokens).values(**values)))

    def token(self, token_hash: str) -> ApiToken | None:
        """The token row with that hash."""

        def unit(conn: Connection) -> ApiToken | None:
            row = conn.execute(select(pp_tokens).where(pp_tokens.c.token_hash == token_hash)).first()
            return _token(row) if row is not None else None

        return self.db.run_read(unit)

    def tokens_of(self, person_id: PersonId) -> list[ApiToken]:
        """A person's tokens, oldest first."""
        query = select(pp_tokens).where(pp_tokens.c.person_id == person_id).order_by(pp_tokens.c.created_at)
        return self.db.run_read(lambda conn: [_token(r) for r in conn.execute(query)])

    def revoke_tokens(self, person_id: PersonId, at: datetime, *, token_id: TokenId | None = None) -> int:
        """Revoke one token (or all of the person's); how many were live."""
        where = (pp_tokens.c.person_id == person_id) & pp_tokens.c.revoked_at.is_(None)
        if token_id is not None:
            where = where & (pp_tokens.c.id == token_id)
        statement = update(pp_tokens).where(where).values(revoked_at=_iso(at))
        return int(self.db.run_write(lambda conn: conn.execute(statement).rowcount))

    # -- sessions ---------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        """Insert a session."""
        values = {
            "id": session.id,
            "person_id": session.person_id,
            "secret_hash": session.secret_hash,
            "csrf_token": session.csrf_token,
            "created_at": _iso(session.created_at),
            "expires_at": _iso(session.expires_at),
        }
        self.db.run_write(lambda conn: conn.execute(insert(pp_sessions).values(**values)))

    def session(self, secret_hash: str) -> Session | None:
        """The session whose cookie hashes to `secret_hash`."""

        def unit(conn: Connection) -> Session | None:
            row = conn.execute(select(pp_sessions).where(pp_sessions.c.secret_hash == secret_hash)).first()
            if row is None:
                return None
            return Session(
                id=SessionId(row.id),
                person_id=PersonId(row.person_id),
                secret_hash=row.secret_hash,
                csrf_token=row.csrf_token,
                created_at=_time(row.created_at),
                expires_at=_time(row.expires_at),
            )

        return self.db.run_read(unit)

    def end_sessions(self, person_id: PersonId, *, session_id: SessionId | None = None) -> None:
        """Delete one session or all of a person's."""
        where = pp_sessions.c.person_id == person_id
        if session_id is not None:
            where = where & (pp_sessions.c.id == session_id)
        self.db.run_write(lambda conn: conn.execute(delete(pp_sessions).where(where)))

    # -- SSO --------------------------------------------------------------------------------------
    def add_oidc_login(self, login: OidcLogin) -> None:
        """Insert a pending SSO login."""
        values = {
            "state_hash": login.state_hash,
            "nonce": login.nonce,
            "code_verifier": login.code_verifier,
            "created_at": _iso(login.created_at),
        }
        self.db.run_write(lambda conn: conn.execute(insert(pp_oidc_logins).values(**values)))

    def take_oidc_login(self, state_hash: str) -> OidcLogin | None:
        """Delete and return the pending login (a state is usable once, even by two racing callbacks)."""

        def unit(conn: Connection) -> OidcLogin | None:
            where = pp_oidc_logins.c.state_hash == state_hash
            row = conn.execute(select(pp_oidc_logins).where(where)).first()
            if row is None or conn.execute(delete(pp_oidc_logins).where(where)).rowcount != 1:
                return None
            return OidcLogin(row.state_hash, row.nonce, row.code_verifier, _time(row.created_at))

        return self.db.run_write(unit)

    def purge_expired(self, now: datetime, oidc_before: datetime) -> None:
        """Delete sessions past expiry and SSO logins older than `oidc_before`."""

        def unit(conn: Connection) -> None:
            conn.execute(delete(pp_sessions).where(pp_sessions.c.expires_at <= _iso(now)))
            conn.execute(delete(pp_oidc_logins).where(pp_oidc_logins.c.created_at <= _iso(oidc_before)))

        self.db.run_write(unit)


class SqlApprovalSignatures:
    """Signatures of two-person approvals in `pp_approval_signatures`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def sign(self, approval_id: str, signer: str, at: datetime, *, uow: UnitOfWork) -> tuple[str, ...]:
        """Record `signer`'s approval in `uow`'s transaction (a `SqlUnitOfWork` of this database); every
        signer so far, oldest first. `AlreadySigned` on a repeat while a second signer is still needed."""
        if not isinstance(uow, SqlUnitOfWork):
            raise TypeError("SqlApprovalSignatures signs inside the SQL unit of work of its database")
        conn = uow.conn
        # One request's signatures in turn: of two approvers signing at once, one sees both.
        lock_rows(conn, [f"approval:{approval_id}"], _iso(at))
        existing = _signers(conn, approval_id)
        if signer in existing:
            if len(existing) >= 2:
                return existing
            raise AlreadySigned(f"{signer} approved this request already; a second approver must be someone else")
        conn.execute(insert(pp_approval_signatures).values(approval_id=approval_id, signer=signer, signed_at=_iso(at)))
        return (*existing, signer)

    def signers(self, approval_id: str) -> tuple[str, ...]:
        """The request's signers, oldest first."""
        return self.db.run_read(lambda conn: _signers(conn, approval_id))


def _signers(conn: Connection, approval_id: str) -> tuple[str, ...]:
    query = (
        select(pp_approval_signatures.c.signer)
        .where(pp_approval_signatures.c.approval_id == approval_id)
        .order_by(pp_approval_signatures.c.signed_at, pp_approval_signatures.c.signer)
    )
    return tuple(str(r.signer) for r in conn.execute(query))
