"""`purser sandbox load|seed`: fill the configured database's sandbox with a world and set its clock.

Both commands replace everything in the sandbox tables, in one transaction: a file that does not
validate (exit 2, naming the file, the key and what was expected) or that the engine refuses
leaves the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from purser.cli._common import CONFIG_OPTION, DATABASE_OPTION, exit_with, out, settings_or_exit

if TYPE_CHECKING:
    from datetime import datetime

    from purser.config import Settings
    from purser.worlds.schema import World

__all__ = ["app", "load", "seed"]

app = typer.Typer(
    help="The embedded sandbox processor: load a scenario's world or the demo world.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _load(settings: Settings, world: World, now: datetime, source: str) -> None:
    from purser.app import build_backoffice
    from purser.errors import PurserError
    from purser.processors.errors import ProcessorError
    from purser.worlds.loader import load_world

    try:
        office = build_backoffice(settings)
    except PurserError as exc:
        exit_with([str(exc)])
    try:
        try:
            sandbox = office.sandbox()
        except PurserError as exc:
            exit_with([f"worlds load into the sandbox only: {exc}"])
        try:
            load_world(sandbox, world, now, reset=True)
        except ProcessorError as exc:
            exit_with([f"{source}: the sandbox refused the world, nothing was loaded: {exc}"])
    finally:
        office.close()
    out().print(
        f"Loaded {len(world.customers)} customer(s) and {len(world.plans)} plan(s) from {source} "
        f"into {settings.database_url}; sandbox clock at {now:%Y-%m-%dT%H:%M:%SZ}.",
        highlight=False,
        soft_wrap=True,
    )


@app.command("load")
def load(
    scenario: Path = typer.Argument(..., help="A scenario YAML file (its `world` and `now` are loaded)."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Replace the sandbox with SCENARIO's world and set the sandbox clock to its `now`."""
    from purser.worlds.schema import WorldError, load_scenario_world

    settings = settings_or_exit(config, database_url)
    try:
        world, now = load_scenario_world(scenario)
    except WorldError as exc:
        exit_with(exc.problems)
    _load(settings, world, now, str(scenario))


@app.command("seed")
def seed(
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Replace the sandbox with the demo world (about ten customers in every situation) at its fixed date."""
    from purser.worlds.schema import WorldError
    from purser.worlds.seed import DEMO_PATH, demo_world

    settings = settings_or_exit(config, database_url)
    try:
        world, now = demo_world()
    except WorldError as exc:  # pragma: no cover - the packaged demo is tested
        exit_with(exc.problems)
    _load(settings, world, now, DEMO_PATH.name)
