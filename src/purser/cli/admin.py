"""`purser admin create-user|list-users|disable-user|token`: the people who use the dashboard and the admin
API (DESIGN §11). A new API token is printed once, as the last line of the output; only its hash is kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from purser.cli._common import CONFIG_OPTION, DATABASE_OPTION, backoffice_or_exit, exit_with, out, settings_or_exit

if TYPE_CHECKING:
    from purser.people import PeopleService

__all__ = ["app", "create_user", "disable_user", "list_users", "token"]

T = TypeVar("T")

app = typer.Typer(
    help="People: accounts with roles (viewer, agent, approver, admin), limits and API tokens.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NAME_ARG = typer.Argument(
    ..., help="The person's name (letters, digits, '.', '_', '-'); the audit actor is human:NAME."
)


@app.command("create-user")
def create_user(
    name: str = NAME_ARG,
    role: str = typer.Option(..., "--role", help="viewer | agent | approver | admin"),
    limit: str | None = typer.Option(
        None, "--limit", help="Approval limit in the policy currency, e.g. 250.00 (required for approvers)."
    ),
    slack: str | None = typer.Option(
        None, "--slack", help="Slack user id (U...) whose Approve/Deny presses are theirs."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a dashboard password (12+ characters) from the first line of stdin."
    ),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Create a person and print their API token (shown once) as the last line."""
    password = _read_password() if password_stdin else None
    person, api_token = _with_people(
        config,
        database_url,
        lambda people: people.create(name, role, limit=limit, slack_user_id=slack, password=password),
    )
    limit_text = f", approval limit {person.approval_limit}" if person.approval_limit is not None else ""
    slack_text = f", Slack {person.slack_user_id}" if person.slack_user_id else ""
    console = out()
    console.print(f"Created {person.name} ({person.role}{limit_text}{slack_text}).", markup=False, highlight=False)
    console.print("API token (shown once; send it as Authorization: Bearer <token>):", markup=False)
    typer.echo(api_token)


@app.command("list-users")
def list_users(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Everyone with an account: role, limit, Slack id, SSO link, whether disabled (never a secret)."""
    people = _with_people(config, database_url, lambda service: service.everyone())
    rows = [
        {
            "name": p.name,
            "role": p.role,
            "approval_limit": str(p.approval_limit) if p.approval_limit is not None else None,
            "slack_user_id": p.slack_user_id,
            "sso": p.oidc_subject is not None,
            "password": p.password_hash is not None,
            "disabled": p.disabled,
            "created_at": p.created_at.isoformat(),
        }
        for p in people
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table("name", "role", "limit", "slack", "sso", "password", "status")
    for row in rows:
        table.add_row(
            str(row["name"]),
            str(row["role"]),
            str(row["approval_limit"] or "—"),
            str(row["slack_user_id"] or "—"),
            "yes" if row["sso"] else "no",
            "yes" if row["password"] else "no",
            "disabled" if row["disabled"] else "active",
        )
    out().print(table)


@app.command("disable-user")
def disable_user(
    name: str = NAME_ARG,
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Disable a person: their tokens are revoked and their sessions end at once; Slack presses are refused."""
    person = _with_people(config, database_url, lambda people: people.disable(name))
    out().print(f"Disabled {person.name}: tokens revoked, sessions ended.", markup=False, highlight=False)


@app.command("token")
def token(
    name: str = NAME_ARG,
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Print a new API token for a person (their other tokens keep working) as the last line."""
    api_token = _with_people(config, database_url, lambda people: people.new_token(name))
    out().print(f"New API token for {name} (shown once):", markup=False, highlight=False)
    typer.echo(api_token)


def _with_people(config: str | None, database_url: str | None, call: Callable[[PeopleService], T]) -> T:
    """`call` on the configured database's accounts; exits 2 with the message of a refused request."""
    from purser.errors import PurserError

    settings = settings_or_exit(config, database_url)
    with backoffice_or_exit(settings, processor=False) as office:
        try:
            return call(office.people)
        except PurserError as exc:
            exit_with([str(exc)])


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        exit_with(["--password-stdin: no password on stdin"])
    return password
