"""`purser audit verify|checkpoint|export|reconcile|recover`: the audit log, for finance and operators."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import typer

from purser.cli._common import CONFIG_OPTION, backoffice_or_exit, err, fail, out, settings_or_exit

__all__ = ["app", "checkpoint", "export", "reconcile", "recover", "verify"]

app = typer.Typer(
    help="The hash-chained audit log: verify and checkpoint it, reconcile it with the processor, export it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command()
def verify(config: str | None = CONFIG_OPTION) -> None:
    """Check every record (with the audit key) and every checkpoint of the anchor file; exit 1 naming the
    first altered, deleted, reordered, recomputed, truncated or forged record."""
    with backoffice_or_exit(settings_or_exit(config), processor=False) as office:
        result = office.audit.verify()
        keys = office.audit.keys
        anchor = office.audit.anchor
    key = f"key {keys.current.key_id} from {keys.source}" if keys.current is not None else "NO KEY"
    where = f"anchor {anchor.path.name}, {result.checkpoints} checkpoint(s)" if anchor is not None else "NO ANCHOR"
    for warning in result.warnings:
        err().print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if result.ok:
        sealed = f"{result.keyed} keyed, {result.legacy} unkeyed"
        out().print(f"audit log OK: {result.records} records, chain intact ({sealed}; {key}; {where})", highlight=False)
        return
    out().print(f"[bold red]audit log BROKEN[/] at record {result.bad_seq}: {result.problem}", highlight=False)
    raise typer.Exit(1)


@app.command()
def checkpoint(
    adopt_unkeyed: bool = typer.Option(
        False,
        "--adopt-unkeyed",
        help="Vouch for the unkeyed records sealed before the audit key was configured (once, after checking them).",
    ),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Verify the chain, then append its head (count and hash, signed with the audit key) to the anchor
    file outside the database; exit 1 when the chain does not verify or no anchor is configured."""
    from purser.audit.log import CheckpointRefused

    with backoffice_or_exit(settings_or_exit(config), processor=False) as office:
        try:
            written = office.audit.checkpoint(adopting=adopt_unkeyed)
        except CheckpointRefused as exc:
            fail(str(exc), code=1)
        except OSError as exc:
            fail(f"cannot write the anchor file: {exc.strerror or exc}", code=1)
        anchor = office.audit.anchor
    signed = f"signed with key {written.key_id}" if written.key_id else "UNSIGNED (no audit key)"
    name = anchor.path.name if anchor is not None else "?"
    out().print(
        f"checkpoint {written.line} of {name}: {written.seq} record(s), head {written.head[:16]}…, {signed}",
        highlight=False,
    )


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
    since: str | None = typer.Option(None, "--since", help="Only refunds from this date (UTC)."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Compare the refunds the audit log recorded (and imported) with every customer's refunds at the
    processor and its events since the last checkpoint; exit 1 on any drift."""
    from purser.audit.reconcile import reconcile as run_reconcile

    start = _since(since)
    with backoffice_or_exit(settings_or_exit(config)) as office:
        last = office.audit.anchor.last() if office.audit.anchor is not None else None
        report = run_reconcile(
            office.audit,
            office.processor,
            db=office.db,
            since=datetime.fromisoformat(start + "+00:00") if start else None,
            events_since=datetime.fromisoformat(last.at.replace("Z", "+00:00")) if last is not None else None,
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
