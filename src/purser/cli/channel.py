"""`purser channel link|unlink|links`: which platform user is which customer (DESIGN §9 "Identity").

A platform user sees account data, or gets a write proposed, only once linked to a customer.
Customers can also link themselves: they send the chat the email address on their account and
reply with the six-digit code emailed to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from purser.cli._common import CONFIG_OPTION, DATABASE_OPTION, exit_with, out
from purser.cli._output import office_for, print_json

if TYPE_CHECKING:
    from purser.channels.identity import ChannelIdentity

__all__ = ["app", "link", "links", "unlink"]

app = typer.Typer(
    help="Link Slack, WhatsApp, Discord or email users to customers.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

CHANNEL_ARG = typer.Argument(..., help="slack | whatsapp | discord | email")
EXTERNAL_ARG = typer.Argument(
    ..., help="The platform's user id: Slack U..., WhatsApp number (digits, with country code), Discord id, email."
)


@contextmanager
def _identity(config: str | None, database_url: str | None) -> Iterator[ChannelIdentity]:
    """The identity service of the configured store; a refused link or unlink exits 2 with its reason."""
    from purser.channels.identity import LinkRefused

    with office_for(config, database_url) as (_settings, office):
        try:
            yield office.identity
        except LinkRefused as exc:
            exit_with([str(exc)])


@app.command("link")
def link(
    channel: str = CHANNEL_ARG,
    external_id: str = EXTERNAL_ARG,
    customer_id: str = typer.Argument(..., help="The processor's customer id, e.g. cus_ana."),
    by: str = typer.Option("cli", "--by", help="Who links (recorded as admin:<by>)."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Link a platform user to a customer (replaces an earlier link of that user)."""
    with _identity(config, database_url) as identity:
        made = identity.link(channel, external_id, customer_id, by=f"admin:{by}")
    out().print(f"Linked {made.channel} user {made.external_id} to {made.customer_id}.", markup=False)


@app.command("unlink")
def unlink(
    channel: str = CHANNEL_ARG,
    external_id: str = EXTERNAL_ARG,
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Remove a platform user's link (they get knowledge-base answers only again)."""
    with _identity(config, database_url) as identity:
        removed = identity.unlink(channel, external_id)
    if not removed:
        exit_with([f"{channel} user {external_id} is not linked"], code=1)
    out().print(f"Unlinked {channel} user {external_id}.", markup=False)


@app.command("links")
def links(
    customer_id: str = typer.Argument(..., help="The customer whose platform identities to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """List a customer's linked platform users."""
    with _identity(config, database_url) as identity:
        found = identity.repo.links_of(customer_id)
    rows = [
        {"channel": k.channel, "external_id": k.external_id, "linked_by": k.linked_by, "created_at": k.created_at}
        for k in found
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out().print(f"{customer_id} has no linked platform users.", markup=False)
    for row in rows:
        out().print(
            f"{row['channel']:9} {row['external_id']}  (by {row['linked_by']}, {row['created_at']})", markup=False
        )
