"""`purser audit verify` and `purser audit export`."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import typer

from purser.audit.export import write_records
from purser.audit.log import AuditLog
from purser.cli._common import CONFIG_OPTION, console, fail, settings_or_exit
from purser.store.db import Database

app = typer.Typer(help="The hash-chained audit log: verify it, export it for finance.", no_args_is_help=True)


def _log(config: str | None) -> AuditLog:
    settings = settings_or_exit(config)
    db = Database(settings.database_url)
    db.migrate()
    return AuditLog(db)


@app.command()
def verify(config: str | None = CONFIG_OPTION) -> None:
    """Check the chain; exit 1 naming the first altered, deleted or reordered record."""
    result = _log(config).verify()
    if result.ok:
        console.print(f"audit log OK: {result.records} records, chain intact")
        return
    console.print(f"[bold red]audit log BROKEN[/] at record {result.bad_seq}: {result.problem}", highlight=False)
    raise typer.Exit(1)


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        fail(f"--since: expected a date (2026-11-01) or an ISO time, got {value!r}")


@app.command()
def export(
    fmt: str = typer.Option("jsonl", "--format", "-f", help="csv or jsonl"),
    since: str | None = typer.Option(None, "--since", help="Only records from this date/time (UTC)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default stdout)."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Export the audit records (for finance) as CSV or JSON lines."""
    if fmt not in ("csv", "jsonl"):
        fail(f"--format: expected csv or jsonl, got {fmt!r}")
    chosen: Literal["csv", "jsonl"] = "csv" if fmt == "csv" else "jsonl"
    log = _log(config)
    records = log.records(since=_since(since))
    if output is None:
        write_records(records, sys.stdout, chosen)
        return
    with output.open("w", encoding="utf-8", newline="") as fh:
        count = write_records(records, fh, chosen)
    console.print(f"wrote {count} records to {output}")


def _wired(config: str | None) -> tuple[Any, Any, Any]:
    from purser.app import build_processor

    settings = settings_or_exit(config)
    db = Database(settings.database_url)
    db.migrate()
    return settings, db, build_processor(settings, db)


@app.command()
def reconcile(
    since: str | None = typer.Option(None, "--since", help="Only processor refunds from this date (UTC)."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Compare the refunds the audit log recorded with the processor's; exit 1 on any drift."""
    from purser.audit.reconcile import reconcile as run_reconcile

    _settings, db, processor = _wired(config)
    start = _since(since)
    report = run_reconcile(
        AuditLog(db), processor, db=db, since=datetime.fromisoformat(start + "+00:00") if start else None
    )
    for drift in report.drift:
        console.print(f"[red]{drift.kind}[/] {drift.refund_id}: {drift.detail}", highlight=False)
    console.print(f"{report.matched} refund(s) matched, {len(report.drift)} drift(s)")
    if report.drift:
        raise typer.Exit(1)


@app.command()
def recover(
    stale_minutes: int = typer.Option(2, "--stale-minutes", min=0, help="Only actions idle this long."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Settle actions a crash interrupted: re-execute with the same idempotency key, or release."""
    from datetime import timedelta

    from purser.actions.gateway import Gateway

    settings, db, processor = _wired(config)
    gateway = Gateway(db, processor, settings.policy, AuditLog(db))
    outcomes = gateway.recover(stale_after=timedelta(minutes=stale_minutes))
    for outcome in outcomes:
        console.print(f"{outcome.action_id} {outcome.action}: {outcome.status} ({outcome.reason or 'ok'})")
    console.print(f"{len(outcomes)} interrupted action(s) settled")
