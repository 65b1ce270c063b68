"""The `purser` command (typer + rich). One module per command group; each registers here."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="purser",
    help="Purser: the billing-support agent that acts on the processor inside code-enforced guardrails.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module, group name or None for top-level commands). A group's module exposes `app` (a Typer)
# or, for top-level commands, `register(app)`.
_GROUPS: list[tuple[str, str | None]] = [
    ("purser.cli.sandbox", "sandbox"),
    ("purser.cli.customer", "customer"),
    ("purser.cli.audit", "audit"),
    ("purser.cli.kb", "kb"),
    ("purser.cli.eval", None),
    ("purser.cli.chat", None),
    ("purser.cli.serve", None),
]

for module_name, group in _GROUPS:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        continue
    if group is None:
        module.register(app)
    else:
        app.add_typer(module.app, name=group)


@app.command()
def version() -> None:
    """Print Purser's version."""
    from purser import __version__

    typer.echo(__version__)


def main() -> None:
    """Entry point."""
    app()
