"""`purser kb ingest|search|lint`: the knowledge base the agent answers from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from purser.cli._common import CONFIG_OPTION, err, fail, out, settings_or_exit

if TYPE_CHECKING:
    from purser.config import Settings
    from purser.knowledge.base import KnowledgeBase

__all__ = ["app", "ingest_command", "lint_command", "search_command"]

app = typer.Typer(
    help="The knowledge base: ingest documents, search them, lint them against the policy.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("ingest")
def ingest_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders (.md, .html, .pdf, .txt)."),
    replace: bool = typer.Option(False, "--replace", help="Drop the documents already in the index."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Read documents, chunk them by headings and write the BM25 index (next to the database or kb_path)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from purser.knowledge.base import count_files
    from purser.knowledge.errors import KnowledgeError
    from purser.knowledge.location import index_dir, ingest

    settings = settings_or_exit(config)
    folder = index_dir(settings)
    try:
        total = count_files(paths)  # validates every path before anything is written
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err(),
            transient=True,
        ) as progress:
            task = progress.add_task("Reading documents", total=total)

            def advance(name: str) -> None:
                progress.update(task, advance=1, description=f"Reading {name}")

            kb = ingest(paths, folder, replace=replace, progress=advance)
    except KnowledgeError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{folder}: cannot write the index: {exc.strerror or exc}")
    out().print(
        f"Indexed {_plural(total, 'file')}: the knowledge base now has "
        f"{_plural(len(kb.documents), 'document')} and {_plural(len(kb), 'section')} in {folder}",
        highlight=False,
        soft_wrap=True,
    )


def _open(settings: Settings, path: Path | None = None) -> KnowledgeBase:
    """The configured knowledge base (or the documents at `path`), from the bootstrap; exits 2 on a bad one."""
    from purser.app import build_knowledge
    from purser.knowledge.errors import KnowledgeError

    try:
        return build_knowledge(settings, paths=[path] if path is not None else None)
    except KnowledgeError as exc:
        fail(str(exc))


@app.command("search")
def search_command(
    query: str = typer.Argument(..., help="A question, as a customer would ask it."),
    k: int = typer.Option(3, "-k", "--top", min=1, max=50, help="How many passages."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Show the passages that best answer QUERY, with their sources."""
    if not query.strip():
        fail("QUERY is empty: give a question or some words to search for")
    kb = _open(settings_or_exit(config))
    passages = kb.search(query, k)
    if as_json:
        typer.echo(json.dumps({"passages": [{**p.to_dict(), "score": p.score} for p in passages]}, indent=2))
        return
    if not passages:
        out().print("No passage matches that query.")
        return
    from rich.table import Table

    table = Table("#", "source", "score", "passage", show_lines=True)
    for rank, p in enumerate(passages, 1):
        source = f"{p.document}\n[dim]{p.heading}[/]" if p.heading else p.document
        table.add_row(str(rank), source, f"{p.score:.2f}", p.to_dict(400)["text"])
    out().print(table)


@app.command("lint")
def lint_command(
    path: Path | None = typer.Option(
        None, "--path", help="Lint these documents (file or folder) instead of the configured knowledge base."
    ),
    max_age_days: int | None = typer.Option(
        None, "--max-age-days", min=0, help="Warn on documents older than this (default: kb_max_age_days)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    config: str | None = CONFIG_OPTION,
) -> None:
    """Find statements that contradict the configured policy; exit 1 when there are any."""
    from purser.knowledge.lint import kb_contradictions_block_writes, lint
    from purser.knowledge.location import index_dir

    settings = settings_or_exit(config)
    kb = _open(settings, path)
    age = settings.kb_max_age_days if max_age_days is None else max_age_days
    findings = lint(settings.policy, kb, max_age_days=age)
    blocked = kb_contradictions_block_writes(findings)
    if as_json:
        typer.echo(json.dumps({"ok": not blocked, "findings": [f.to_dict() for f in findings]}, indent=2))
        raise typer.Exit(1 if blocked else 0)
    source = str(path) if path is not None else _describe_source(settings_index=index_dir(settings))
    for finding in findings:
        style = "bold red" if finding.severity == "contradiction" else "yellow"
        label = "contradiction" if finding.severity == "contradiction" else "warning"
        out().print(f"[{style}]{label}:[/] {finding.message}", highlight=False, soft_wrap=True)
        if finding.sentence:
            out().print(f"    [dim]“{finding.sentence}”[/]", highlight=False, soft_wrap=True)
    contradictions = sum(f.severity == "contradiction" for f in findings)
    if blocked:
        out().print(
            f"{contradictions} contradiction{'s' if contradictions != 1 else ''} with the policy in {source}",
            highlight=False,
        )
        raise typer.Exit(1)
    out().print(
        f"OK: {len(kb.documents)} document{'s' if len(kb.documents) != 1 else ''} in {source} "
        f"{'agree' if len(kb.documents) != 1 else 'agrees'} with the policy",
        highlight=False,
        soft_wrap=True,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _describe_source(*, settings_index: Path) -> str:
    from purser.knowledge.location import SAMPLE_DIR

    return str(settings_index) if settings_index.exists() else f"the sample knowledge base ({SAMPLE_DIR.name}/)"
