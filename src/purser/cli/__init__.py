"""The `purser` command (typer). One module per command group; each registers here.

Start-up is kept cheap (`purser --help` is a budget of DESIGN §12): this package and every
command module import only typer and the standard library at module level; a command imports
what it needs (rich, the configuration, the bootstrap in `purser.app`) when it runs. Help is
plain text (`rich_markup_mode=None`), so `--help` never loads rich's markdown renderer.
"""

from __future__ import annotations

import typer

from purser.cli import admin, audit, channel, chat, customer, kb, models, sandbox, serve
from purser.cli import eval as eval_cli
from purser.cli import worker as worker_cli

__all__ = ["app", "main"]

app = typer.Typer(
    name="purser",
    help="Purser: the billing-support agent that acts on the processor inside code-enforced guardrails.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

app.add_typer(sandbox.app, name="sandbox")
app.add_typer(customer.app, name="customer")
app.add_typer(audit.app, name="audit")
app.add_typer(kb.app, name="kb")
app.add_typer(channel.app, name="channel")
app.add_typer(models.app, name="models")
app.add_typer(admin.app, name="admin")
for module in (eval_cli, chat, serve, worker_cli):
    module.register(app)


@app.command()
def version() -> None:
    """Print Purser's version."""
    from purser import __version__

    typer.echo(__version__)


def main() -> None:
    """Entry point."""
    app()
