"""`purser admin create-user|list-users|disable-user|token` through the real command line and database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from purser.app import build_backoffice
from purser.cli import app
from purser.config import Settings

PASSWORD = "correct horse battery staple"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'people.db'}"


def run(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["admin", *args, "--database-url", url], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_create_user_prints_the_token_last_and_it_authenticates(url: str) -> None:
    code, out, _err = run(
        url, "create-user", "alice", "--role", "approver", "--limit", "250.00", "--slack", "U024BE7LH"
    )
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0] == "Created alice (approver, approval limit 250.00 USD, Slack U024BE7LH)."
    token = lines[-1]
    assert token.startswith("pst_") and len(token) >= 40
    with build_backoffice(Settings(database_url=url)) as office:
        principal = office.people.authenticate_token(token)
        assert (principal.name, principal.role, str(principal.limit)) == ("alice", "approver", "250.00 USD")
    code, out, _err = run(url, "token", "alice")
    assert code == 0 and out.strip().splitlines()[-1] != token
    with build_backoffice(Settings(database_url=url)) as office:
        assert office.people.authenticate_token(out.strip().splitlines()[-1]).name == "alice"
        assert office.people.authenticate_token(token).name == "alice"  # the first token still works


def test_a_password_from_stdin_signs_in(url: str) -> None:
    code, out, _err = run(url, "create-user", "bob", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and PASSWORD not in out
    with build_backoffice(Settings(database_url=url)) as office:
        assert office.people.authenticate_password("bob", PASSWORD).role == "admin"
    code, _out, err = run(url, "create-user", "carol", "--role", "viewer", "--password-stdin", stdin="\n")
    assert code == 2 and "no password on stdin" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-user", "dave", "--role", "approver"], "an approver needs --limit AMOUNT"),
        (["create-user", "dave", "--role", "root"], "unknown role 'root'"),
        (["create-user", "dave", "--role", "approver", "--limit", "50.001"], "more than 2 decimal places for USD"),
        (["create-user", "da ve", "--role", "viewer"], "bad name 'da ve'"),
        (["disable-user", "nobody"], "no person named 'nobody'"),
        (["token", "nobody"], "no person named 'nobody'"),
    ],
)
def test_bad_input_exits_2_naming_the_problem_and_changes_nothing(url: str, args: list[str], message: str) -> None:
    code, out, err = run(url, *args)
    assert code == 2 and message in " ".join(err.split()) and "pst_" not in out
    _code, listed, _err = run(url, "list-users", "--json")
    assert json.loads(listed) == []


def test_list_and_disable(url: str) -> None:
    run(url, "create-user", "alice", "--role", "approver", "--limit", "100")
    _code, out, _err = run(url, "create-user", "vera", "--role", "viewer")
    vera_token = out.strip().splitlines()[-1]
    code, out, _err = run(url, "disable-user", "vera")
    assert code == 0 and "Disabled vera" in out
    _code, listed, _err = run(url, "list-users", "--json")
    rows = json.loads(listed)
    assert [(r["name"], r["role"], r["approval_limit"], r["disabled"]) for r in rows] == [
        ("alice", "approver", "100.00 USD", False),
        ("vera", "viewer", None, True),
    ]
    assert "hash" not in listed and "pst_" not in listed
    code, table, _err = run(url, "list-users")
    assert code == 0 and "alice" in table and "disabled" in table
    with build_backoffice(Settings(database_url=url)) as office:
        from purser.people.errors import AuthenticationFailed

        with pytest.raises(AuthenticationFailed):
            office.people.authenticate_token(vera_token)
    code, _out, err = run(url, "create-user", "alice", "--role", "viewer")
    assert code == 2 and "exists already" in err
