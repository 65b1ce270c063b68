"""`purser models check`: a tiny request to each configured model, with its latency and price."""

from __future__ import annotations

import typer

from purser.cli._common import CONFIG_OPTION, exit_with, out, settings_or_exit

__all__ = ["app", "check"]

app = typer.Typer(help="The configured LLMs (`models:` in purser.yaml).", no_args_is_help=True, rich_markup_mode=None)


@app.command("check")
def check(config: str | None = CONFIG_OPTION) -> None:
    """Send one tiny request to each configured model; print latency and price per million tokens."""
    from rich.markup import escape
    from rich.table import Table

    from purser.models.check import check_models
    from purser.models.providers import ProviderConfigError
    from purser.models.registry import ModelRegistry

    settings = settings_or_exit(config, None)
    try:
        registry = ModelRegistry.from_settings(settings)
    except ProviderConfigError as exc:
        exit_with([str(exc)])
    if not settings.models:
        out().print("No models configured: Purser runs the offline model (see the README's model set-up).")
        return
    checks = check_models(registry)
    table = Table(title="purser models check")
    for column in ("model", "provider", "id", "result", "latency", "$ / M input", "$ / M output"):
        table.add_column(column)
    for c in checks:
        table.add_row(
            escape(c.name),
            c.provider,
            escape(c.model),
            "[green]ok[/]" if c.ok else f"[red]failed[/]: {escape(c.error)}",
            "-" if c.latency_ms is None else f"{c.latency_ms} ms",
            "unpriced" if c.input_per_million is None else f"{c.input_per_million:.2f}",
            "unpriced" if c.output_per_million is None else f"{c.output_per_million:.2f}",
        )
    out().print(table)
    if any(not c.ok for c in checks):
        raise typer.Exit(1)
