"""Helpers of the back-office commands (`customer`, `channel`): open the store for one command, print JSON.

Like `_common`, only typer and the standard library at the top: `purser --help` stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from purser.cli._common import backoffice_or_exit, settings_or_exit

if TYPE_CHECKING:
    from purser.app import Backoffice
    from purser.config import Settings

__all__ = ["office_for", "print_json"]


@contextmanager
def office_for(config: str | None, database_url: str | None) -> Iterator[tuple[Settings, Backoffice]]:
    """The settings (`--config`, `--database-url`) and the back office built from them, closed
    afterwards; exits 2 naming what cannot be read or opened."""
    settings = settings_or_exit(config, database_url)
    with backoffice_or_exit(settings) as office:
        yield settings, office


def print_json(data: Any) -> None:
    """`--json` output: indented, with names and addresses in their own letters (not \\u escapes)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
