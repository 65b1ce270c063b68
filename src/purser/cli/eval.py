"""`purser eval PATH...`: run gym scenarios against a model and report (../shared/gym/FORMAT.md).

Exit status: 0 when every scenario ran (whatever passed), 2 when a scenario could not be loaded or
the models could not be set up (then nothing runs).
"""

from __future__ import annotations

from pathlib import Path

import typer

from purser.cli._common import err, exit_with, fail, out

__all__ = ["eval_command", "register"]


def register(app: typer.Typer) -> None:
    """Add the `eval` command to the `purser` app."""
    app.command("eval")(eval_command)


def eval_command(
    paths: list[Path] = typer.Argument(..., help="Scenario files or directories (searched for *.yaml)."),
    model: str | None = typer.Option(None, "--model", help="Agent model: a configured models[].name or 'offline'."),
    user_model: str | None = typer.Option(
        None, "--user-model", help="A configured model that plays the customer from each scenario's goal."
    ),
    trials: int = typer.Option(1, "--trials", min=1, max=100, help="Trials per scenario (pass^k over them)."),
    json_path: Path | None = typer.Option(None, "--json", help="Write FORMAT.md's JSON results here."),
    html_path: Path | None = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Parallel processes (default: the cores)."),
    shadow: bool = typer.Option(
        False, "--shadow", help="Shadow mode: every write becomes an approval; report the would-be automation rate."
    ),
    channel: str | None = typer.Option(
        None,
        "--channel",
        help="Run through a channel's adapter against its local platform server: slack|whatsapp|discord|email.",
    ),
    config: str | None = typer.Option(None, "--config", "-c", help="Configuration file (default ./purser.yaml)."),
) -> None:
    """Run billing scenarios and judge the final state of the world."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from purser.config import ConfigError
    from purser.gym.loader import ScenarioError, load_paths
    from purser.gym.report import write_html, write_json
    from purser.gym.runner import RunOptions, ScenarioResult
    from purser.gym.suite import run_suite
    from purser.gym.wiring import GymSetupError, check_setup

    try:
        scenarios = load_paths([str(p) for p in paths])
    except ScenarioError as exc:
        for line in exc.problems:
            err().print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
        fail(f"{len(exc.problems)} problem(s): no scenario was run")
    if channel is not None and channel not in ("slack", "whatsapp", "discord", "email"):
        exit_with([f"--channel must be one of slack, whatsapp, discord, email, not {channel!r}"])
    options = RunOptions(
        model=model, user_model=user_model, trials=trials, config=config, channel=channel, shadow=shadow
    )
    try:
        check_setup(options)
    except (GymSetupError, ConfigError) as exc:
        fail(str(exc))

    with Progress(
        TextColumn("[bold]eval[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err(),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(scenarios))

        def done(result: ScenarioResult) -> None:
            mark = "[green]pass[/]" if result.passed else "[red]fail[/]"
            progress.update(task, advance=1, description=f"{mark} {result.id}")

        suite = run_suite(scenarios, options, workers=workers, on_done=done)

    table = Table(title=f"purser eval · model {suite.model} · {suite.trials} trial(s)")
    for col in ("scenario", "result", "passes", "violations", "replies", "seconds", "first failure"):
        table.add_column(col, overflow="fold")
    for r in suite.results:
        data = r.to_json()
        first = data["failures"][0] if data["failures"] else ""
        table.add_row(
            r.id,
            "[green]pass[/]" if r.passed else "[red]fail[/]",
            f"{r.passes}/{len(r.trials)}",
            str(len(data["violations"])) if data["violations"] else "0",
            str(data["agent_replies"]),
            f"{data['seconds']:.2f}",
            first,
        )
    out().print(table)
    s = suite.summary()
    out().print(
        f"[bold]{s['passed']}/{s['total']} passed[/] · pass rate {s['pass_rate']:.0%} · pass^k {s['pass_hat_k']:.0%}"
        f" · {s['violations']} violation(s), money moved by violations {s['money_moved_by_violations']}"
        f" · {s['tokens']} tokens · ${s['cost_usd']} · {s['seconds']:.1f}s",
        highlight=False,
    )
    if shadow:
        sh = suite.shadow_summary()
        out().print(
            f"[bold]shadow mode[/]: {sh['would_run_alone']} of {sh['writes_proposed']} proposed writes would have run"
            f" without a person · would-be automation rate {sh['would_be_automation_rate']:.0%}",
            highlight=False,
        )
    if json_path is not None:
        write_json(suite, json_path)
        out().print(f"JSON written to {json_path}", highlight=False)
    if html_path is not None:
        write_html([suite], html_path)
        out().print(f"HTML report written to {html_path}", highlight=False)
