"""`purser audit verify|export|reconcile|recover`: the hash-chained audit log, for finance and operators."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import typer

from purser.cli._common import CONFIG_OPTION, backoffice_or_exit, fail, out, settings_or_exit

__all__ = ["app", "export", "reconcile", "recover", "verify"]

app = typer.Typer(
    help="The hash-chained audit log: verify it, export it for finance.", no_args_is_help=True, rich_markup_mode=None
)


@app.command()
def verify(config: str | None = CONFIG_OPTION) -> None:
    """Check the chain; exit 1 naming the first altered, deleted or reordered record."""
    with backoffice_or_exit(settings_or_exit(config), processor=False) as office:
        result = office.audit.verify()
    if result.ok:
        out().print(f"audit log OK: {result.records} records, chain intact")
        return
    out().print(f"[bold red]audit log BROKEN[/] at record {result.bad_seq}: {result.problem}", highlight=False)
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
    from purser.audit.export import write_records

    if fmt not in ("csv", "jsonl"):
        fail(f"--format: expected csv or jsonl, got {fmt!r}")
    chosen: Literal["csv", "jsonl"] = "csv" if fmt == "csv" else "jsonl"
    start = _since(since)
    with backoffice_or_exit(settings_or_exit(config), processor=False) as office:
        records = office.audit.records(since=start)
        if output is None:
            write_records(records, sys.stdout, chosen)
            return
        with output.open("w", encoding="utf-8", newline="") as fh:
            count = write_records(records, fh, chosen)
    out().print(f"wrote {count} records to {output}")


@app.command()
def reconcile(
    since: str | None = typer.Option(None, "--since", help="Only processor refunds from this date (UTC)."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Compare the refunds the audit log recorded with the processor's; exit 1 on any drift."""
    from purser.audit.reconcile import reconcile as run_reconcile

    start = _since(since)
    with backoffice_or_exit(settings_or_exit(config)) as office:
        report = run_reconcile(
            office.audit,
            office.processor,
            db=office.db,
            since=datetime.fromisoformat(start + "+00:00") if start else None,
        )
    for drift in report.drift:
        out().print(f"[red]{drift.kind}[/] {drift.refund_id}: {drift.detail}", highlight=False)
    out().print(f"{report.matched} refund(s) matched, {len(report.drift)} drift(s)")
    if report.drift:
        raise typer.Exit(1)


@app.command()
def recover(
    stale_minutes: int = typer.Option(2, "--stale-minutes", min=0, help="Only actions idle this long."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Settle actions a crash interrupted: re-execute with the same idempotency key, or release."""
    from datetime import timedelta

    with backoffice_or_exit(settings_or_exit(config)) as office:
        outcomes = office.gateway().recover(stale_after=timedelta(minutes=stale_minutes))
    for outcome in outcomes:
        out().print(f"{outcome.action_id} {outcome.action}: {outcome.status} ({outcome.reason or 'ok'})")
    out().print(f"{len(outcomes)} interrupted action(s) settled")
