"""Helpers shared by the CLI modules: settings, console, clean exits."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from purser.config import ConfigError, Settings, load_settings

console = Console()
err_console = Console(stderr=True)

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="Configuration file (default ./purser.yaml).")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` on stderr and exit with `code` (2: bad input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit(config: str | None) -> Settings:
    """Load the configuration, exiting 2 with the offending key on error."""
    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(str(exc))
