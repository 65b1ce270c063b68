"""Helpers shared by the CLI modules: settings, consoles, clean exits.

Only typer and the standard library are imported here and at the top of every command module:
`purser --help` must not pay for rich, pydantic, SQLAlchemy, FastAPI or the configuration. Each
command imports what it needs inside its function, and builds everything through `purser.app`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from purser.app import Backoffice
    from purser.config import Settings

__all__ = [
    "CONFIG_OPTION",
    "DATABASE_OPTION",
    "backoffice_or_exit",
    "err",
    "exit_with",
    "fail",
    "out",
    "settings_or_exit",
]

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="Configuration file (default ./purser.yaml).")
DATABASE_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy database URL (overrides PURSER_DATABASE_URL and the config file)."
)


@cache
def out() -> Console:
    """The console on stdout (created on first use; it writes to whatever `sys.stdout` is then)."""
    from rich.console import Console

    return Console()


@cache
def err() -> Console:
    """The console on stderr."""
    from rich.console import Console

    return Console(stderr=True)


def exit_with(lines: list[str], code: int = 2) -> NoReturn:
    """Print each line as an error on stderr and exit with `code` (2: bad input or configuration)."""
    from rich.markup import escape

    for line in lines:
        err().print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` on stderr and exit with `code` (2: bad input)."""
    exit_with([message], code)


def settings_or_exit(config: str | None, database_url: str | None = None) -> Settings:
    """The configuration, with `--database-url` applied; exits 2 naming the offending key."""
    from purser.config import ConfigError, load_settings

    try:
        return load_settings(config, **({"database_url": database_url} if database_url else {}))
    except ConfigError as exc:
        fail(str(exc))


@contextmanager
def backoffice_or_exit(settings: Settings, *, processor: bool = True) -> Iterator[Backoffice]:
    """The store (and, with `processor`, the processor) from the bootstrap, closed afterwards; exits 2 naming
    what cannot be opened."""
    from purser.app import build_backoffice
    from purser.errors import PurserError

    try:
        office = build_backoffice(settings)
    except PurserError as exc:
        exit_with([str(exc)])
    try:
        if processor:
            try:
                office.processor  # noqa: B018 - built now, so a bad configuration fails before any work
            except PurserError as exc:
                exit_with([f"processor {settings.processor!r} is not available: {exc}"])
        yield office
    finally:
        office.close()
