"""The people's store on SQLite and PostgreSQL: accounts, tokens, sessions, SSO logins and approval
signatures, including two approvers signing at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

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
from purser.store.db import Database
from purser.store.people import SqlApprovalSignatures, SqlPeopleRepository
from purser.store.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@dataclass
class Store:
    db: Database
    people: SqlPeopleRepository
    signatures: SqlApprovalSignatures

    def sign(self, approval_id: str, signer: str, at: datetime) -> tuple[str, ...]:
        """Sign in a transaction of its own (the gateway signs inside its unit of work)."""
        with SqlUnitOfWorkFactory(self.db).write() as uow:
            return self.signatures.sign(approval_id, signer, at, uow=uow)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'pp.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    db.migrate()
    yield Store(db, SqlPeopleRepository(db), SqlApprovalSignatures(db))
    db.dispose()


def _person(name: str, slack: str | None = None, **changes: object) -> Person:
    base = Person(
        id=PersonId(f"per_{name}"),
        name=name,
        role="approver",
        approval_limit=Money.parse("250.00", "usd"),
        slack_user_id=slack,
        created_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_people_round_trip_and_names_and_slack_ids_are_unique(store: Store) -> None:
    alice = _person("alice", "U0ALICE", password_hash="$argon2id$x")
    store.people.add(alice)
    assert store.people.get(alice.id) == alice
    assert store.people.by_name("alice") == alice and store.people.by_slack("U0ALICE") == alice
    assert store.people.by_name("ALICE") is None
    with pytest.raises(PersonExists):
        store.people.add(_person("alice", id=PersonId("per_other")))
    with pytest.raises(PersonExists):
        store.people.add(_person("bob", "U0ALICE"))
    assert [p.name for p in store.people.everyone()] == ["alice"]
    admin = _person("root", role="admin", approval_limit=None)
    store.people.add(admin)
    linked = replace(admin, oidc_subject="https://idp.example sub-1", disabled=True)
    store.people.update(linked)
    assert store.people.by_subject("https://idp.example sub-1") == linked
    with pytest.raises(PersonExists):
        store.people.update(replace(alice, oidc_subject="https://idp.example sub-1"))


def test_tokens_are_found_by_hash_and_revoked(store: Store) -> None:
    store.people.add(_person("alice"))
    one = ApiToken(TokenId("tok_1"), PersonId("per_alice"), "a" * 64, NOW)
    two = ApiToken(TokenId("tok_2"), PersonId("per_alice"), "b" * 64, NOW + timedelta(seconds=1))
    store.people.add_token(one)
    store.people.add_token(two)
    assert store.people.token("a" * 64) == one
    assert store.people.token("c" * 64) is None
    assert store.people.revoke_tokens(PersonId("per_alice"), NOW, token_id=TokenId("tok_1")) == 1
    assert store.people.revoke_tokens(PersonId("per_alice"), NOW, token_id=TokenId("tok_1")) == 0
    assert [t.revoked_at is not None for t in store.people.tokens_of(PersonId("per_alice"))] == [True, False]
    assert store.people.revoke_tokens(PersonId("per_alice"), NOW) == 1


def test_sessions_and_sso_logins(store: Store) -> None:
    session = Session(SessionId("ses_1"), PersonId("per_alice"), "d" * 64, "csrf", NOW, NOW + timedelta(hours=8))
    store.people.add_session(session)
    assert store.people.session("d" * 64) == session
    store.people.purge_expired(NOW + timedelta(hours=8), NOW)
    assert store.people.session("d" * 64) is None
    login = OidcLogin("e" * 64, "nonce", "verifier", NOW)
    store.people.add_oidc_login(login)
    assert store.people.take_oidc_login("e" * 64) == login
    assert store.people.take_oidc_login("e" * 64) is None  # a state is usable once


def test_signatures(store: Store) -> None:
    assert store.sign("apr_1", "alice", NOW) == ("alice",)
    with pytest.raises(AlreadySigned, match="alice approved this request already"):
        store.sign("apr_1", "alice", NOW)
    assert store.sign("apr_1", "bob", NOW + timedelta(seconds=1)) == ("alice", "bob")
    assert store.signatures.signers("apr_1") == ("alice", "bob") and store.signatures.signers("apr_2") == ()
    # Once two have signed, a repeat (a completion interrupted before its decision) is answered, not refused.
    assert store.sign("apr_1", "bob", NOW + timedelta(seconds=2)) == ("alice", "bob")
    with pytest.raises(TypeError, match="SQL unit of work"):
        store.signatures.sign("apr_3", "alice", NOW, uow=object())  # type: ignore[arg-type]


def test_two_approvers_signing_at_once_exactly_one_sees_both(store: Store) -> None:
    for round_ in range(5):
        approval = f"apr_race_{round_}"
        barrier = threading.Barrier(2)
        seen: dict[str, tuple[str, ...]] = {}

        def sign(name: str, approval: str, barrier: threading.Barrier, seen: dict[str, tuple[str, ...]]) -> None:
            barrier.wait()
            seen[name] = store.sign(approval, name, datetime.now(UTC))

        threads = [threading.Thread(target=sign, args=(name, approval, barrier, seen)) for name in ("alice", "bob")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(len(s) for s in seen.values()) == [1, 2], seen
