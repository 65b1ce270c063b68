"""Accounts: bad input is refused naming what is wrong (nothing created), passwords are argon2id hashes,
API tokens are stored only as hashes and stop working when revoked or when their person is disabled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from purser.app import build_people, memory_database
from purser.config import Settings
from purser.money import Money
from purser.people import PeopleService
from purser.people.errors import AuthenticationFailed, InvalidPerson, UnknownPerson
from purser.ports.people import PersonExists
from purser.store.db import Database
from purser.store.people import SqlPeopleRepository
from purser.store.people_tables import pp_people, pp_tokens

PASSWORD = "correct horse battery staple"


@pytest.fixture
def people() -> Iterator[PeopleService]:
    db = memory_database()
    yield build_people(Settings(admin_token="bootstrap-token-0123456789"), db)
    db.dispose()


@pytest.mark.parametrize(
    ("name", "role", "limit", "slack", "message"),
    [
        ("bad name", "viewer", None, None, "bad name 'bad name'"),
        ("-dash", "viewer", None, None, "bad name"),
        ("x" * 65, "viewer", None, None, "bad name"),
        ("admin", "admin", None, None, "reserved"),
        ("alice", "owner", None, None, "unknown role 'owner': expected one of viewer, agent, approver, admin"),
        ("alice", "approver", None, None, "an approver needs --limit"),
        ("alice", "viewer", "10.00", None, "a viewer decides no approvals"),
        ("alice", "approver", "50.001", None, "more than 2 decimal places for USD"),
        ("alice", "approver", "-5", None, "--limit"),
        ("alice", "approver", "0", None, "more than zero"),
        ("alice", "approver", "ten", None, "--limit"),
        ("alice", "approver", "99999999999999999999.00", None, "beyond any real approval"),
        ("alice", "viewer", None, "alice", "bad Slack user id 'alice'"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(
    people: PeopleService, name: str, role: str, limit: str | None, slack: str | None, message: str
) -> None:
    with pytest.raises(InvalidPerson, match=message.replace("(", r"\(").replace(".", r"\.")):
        people.create(name, role, limit=limit, slack_user_id=slack)
    assert people.everyone() == []


def test_a_short_password_is_refused(people: PeopleService) -> None:
    with pytest.raises(InvalidPerson, match="at least 12 characters"):
        people.create("alice", "viewer", password="short")
    assert people.everyone() == []


def test_passwords_are_argon2id_and_verify(people: PeopleService) -> None:
    person, _token = people.create("alice", "admin", password=PASSWORD)
    assert person.password_hash is not None and person.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash and PASSWORD not in repr(person)
    assert people.authenticate_password("alice", PASSWORD).name == "alice"
    for name, password in (("alice", PASSWORD + "x"), ("bob", PASSWORD), ("alice", "")):
        with pytest.raises(AuthenticationFailed, match="wrong name or password"):
            people.authenticate_password(name, password)
    people.set_password("alice", "another long password")
    with pytest.raises(AuthenticationFailed):
        people.authenticate_password("alice", PASSWORD)
    assert people.authenticate_password("alice", "another long password").name == "alice"


def test_tokens_are_stored_as_hashes_only(people: PeopleService) -> None:
    person, token = people.create("alice", "approver", limit="250.00", slack_user_id="U024BE7LH")
    assert token.startswith("pst_") and len(token) >= 40
    repo = people.repo
    rows = repo.db.run_read(lambda conn: [tuple(r) for r in conn.execute(select(pp_tokens))])  # type: ignore[attr-defined]
    everything = repr(rows) + repr(
        repo.db.run_read(lambda conn: [tuple(r) for r in conn.execute(select(pp_people))])  # type: ignore[attr-defined]
    )
    assert token not in everything and token[4:] not in everything
    principal = people.authenticate_token(token)
    assert (principal.name, principal.role, str(principal.limit)) == ("alice", "approver", "250.00 USD")
    second = people.new_token("alice")
    assert people.authenticate_token(second).person == person
    [first_row, _second_row] = repo.tokens_of(person.id)
    assert people.revoke_token("alice", first_row.id) is True
    with pytest.raises(AuthenticationFailed, match="unknown or revoked token"):
        people.authenticate_token(token)
    assert people.authenticate_token(second).name == "alice"


def test_disabling_revokes_every_token(people: PeopleService) -> None:
    _person, token = people.create("alice", "agent")
    people.disable("alice")
    with pytest.raises(AuthenticationFailed):
        people.authenticate_token(token)
    with pytest.raises(InvalidPerson, match="disabled"):
        people.new_token("alice")
    with pytest.raises(UnknownPerson, match="no person named 'bob'"):
        people.disable("bob")
    assert people.slack_approver("U024BE7LH") is None


def test_the_bootstrap_token_is_the_admin_and_names_are_unique(people: PeopleService) -> None:
    principal = people.authenticate_token("bootstrap-token-0123456789")
    assert (principal.name, principal.role, principal.person) == ("admin", "admin", None)
    people.create("alice", "approver", limit="10.00", slack_user_id="U0ALICE")
    with pytest.raises(PersonExists):
        people.create("alice", "viewer")
    with pytest.raises(PersonExists):
        people.create("bob", "approver", limit="10.00", slack_user_id="U0ALICE")
    assert [p.name for p in people.everyone()] == ["alice"]
    assert people.slack_approver("U0ALICE") is not None and people.approver("admin") is None


_names = iter(range(10**9))


@pytest.fixture(scope="module")
def limits_db() -> Iterator[Database]:
    db = memory_database()
    yield db
    db.dispose()


@settings(max_examples=150, deadline=None)
@given(minor=st.integers(min_value=1, max_value=10**15), currency=st.sampled_from(["usd", "eur", "jpy", "kwd"]))
def test_a_limit_is_stored_exactly_in_the_policy_currency(limits_db: Database, minor: int, currency: str) -> None:
    people = PeopleService(SqlPeopleRepository(limits_db), currency=currency)
    limit = Money(minor, currency)
    person, _token = people.create(f"p{next(_names)}", "approver", limit=limit.amount_str())
    assert person.approval_limit == limit
    assert people.person(person.name).approval_limit == limit  # read back from the store, integer minor units
    finer = limit.amount_str() + "1" if currency != "jpy" else limit.amount_str() + ".5"
    with pytest.raises(InvalidPerson, match="decimal places"):
        people.create(f"p{next(_names)}", "approver", limit=finer)
