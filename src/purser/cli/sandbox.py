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
    from purser.audit.imported import record_world_load
    from purser.config import redact_url
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
        # The world's refunds predate Purser: recorded as imported history, so reconcile agrees.
        imported = record_world_load(office.audit, sandbox, Path(source).name)
    finally:
        office.close()
    out().print(
        f"Loaded {len(world.customers)} customer(s) and {len(world.plans)} plan(s) from {source} "
        f"into {redact_url(settings.database_url)}; sandbox clock at {now:%Y-%m-%dT%H:%M:%SZ}; "
        f"{imported} earlier refund(s) recorded in the audit log as imported.",
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


def _target(now: datetime, days: int | None, to: str | None) -> datetime:
    from datetime import UTC, timedelta
    from datetime import datetime as dt

    if (days is None) == (to is None):
        exit_with(["give exactly one of --days N or --to DATE (e.g. --days 3 or --to 2026-12-15)"])
    if days is not None:
        if days < 0:
            exit_with([f"--days must be 0 or more, got {days}"])
        return now + timedelta(days=days)
    assert to is not None
    try:
        parsed = dt.fromisoformat(to)
    except ValueError:
        exit_with([f"--to: expected a date or time such as 2026-12-15 or 2026-12-15T09:00, got {to!r}"])
    target = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if target < now:
        exit_with([f"--to {to}: the sandbox clock is at {now:%Y-%m-%dT%H:%M:%SZ} and never goes back"])
    return target


@app.command("advance")
def advance(
    days: int | None = typer.Option(None, "--days", help="Move the clock forward this many days."),
    to: str | None = typer.Option(None, "--to", help="Move the clock to this date or time (UTC unless given)."),
    database_url: str | None = DATABASE_OPTION,
    config: str | None = CONFIG_OPTION,
) -> None:
    """Move the sandbox clock: renewals, failed payments, due jobs and dunning steps run in order."""
    from purser.app import build_backoffice, build_dunning
    from purser.dunning.clock import advance as advance_clock
    from purser.errors import PurserError

    settings = settings_or_exit(config, database_url)
    try:
        office = build_backoffice(settings)
    except PurserError as exc:
        exit_with([str(exc)])
    try:
        try:
            sandbox = office.sandbox()
        except PurserError as exc:
            exit_with([f"advance moves the sandbox clock only: {exc}"])
        target = _target(sandbox.now(), days, to)
        dunning = build_dunning(settings, office.db, sandbox)
        # Due jobs (email deliveries among them) run on the wall clock, between the clock's moves.
        queue = getattr(office, "jobs", None)
        summary = advance_clock(
            sandbox, dunning, target, run_jobs=(lambda _now: int(queue.run_due())) if queue else None
        )
    finally:
        office.close()
    _print_advance(summary)


def _print_advance(summary: object) -> None:
    from rich.table import Table

    from purser.dunning.clock import AdvanceSummary

    assert isinstance(summary, AdvanceSummary)
    console = out()
    console.print(f"Sandbox clock {summary.start:%Y-%m-%d %H:%M} → {summary.end:%Y-%m-%d %H:%M} UTC", highlight=False)
    report = summary.dunning
    table = Table("what", "count")
    for label, count in (
        ("renewals", summary.renewals),
        ("processor retries", summary.processor_retries),
        ("cancellations", summary.cancellations),
        ("jobs run", summary.jobs),
        ("dunning cases opened", report.opened),
        ("dunning retries", report.retries),
        ("dunning outreach sent", report.notified),
        ("cases recovered", report.recovered),
        ("cases closed", report.closed),
    ):
        table.add_row(label, str(count))
    console.print(table)
    for line in report.lines:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
