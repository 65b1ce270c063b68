"""CLI cold start: `purser --help` and `purser customer list` as whole processes.

    .venv/bin/python benchmarks/cli_start.py                 # 10 runs of each
    .venv/bin/python benchmarks/cli_start.py --runs 30 --json run.json
    .venv/bin/python benchmarks/cli_start.py --quick         # smoke size

Each command runs `--runs` times as a fresh process (the installed `purser` console script, no
inherited `PURSER_*` settings), after one unmeasured run that warms the page cache. Wall time is
measured around the process; CPU time is the user + system time of the finished child
(`resource.getrusage(RUSAGE_CHILDREN)` before and after), so it does not depend on what else the
shared machine is doing. `python -c pass` is the floor: the interpreter alone.
`purser customer list` reads a fresh SQLite database seeded with the demo world.

Budget (DESIGN §12): `purser --help` ≤ 300 ms (median CPU; its wall time on an idle machine is the
same plus a few ms).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import (
    bench_parser,
    clean_env,
    console,
    markdown_table,
    median,
    prepare_database,
    print_markdown,
    purser_command,
    run_header,
    verdict,
    write_json,
)
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

BUDGET_MS = 300.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run `argv` once to completion: (wall ms, CPU ms of the child)."""
    cpu0 = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall * 1000, cpu * 1000


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Seed a database, then time each command `args.runs` times."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="purser-bench-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'bench.db'}"
        with console.status("seeding the demo world through the CLI…"):
            prepare_database(workdir, url, 0)
        env = clean_env(PURSER_DATABASE_URL=url)
        purser = purser_command()
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "purser --help": [*purser, "--help"],
            "purser customer list": [*purser, "customer", "list"],
        }
        progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            for name, argv in commands.items():
                task = progress.add_task(name, total=args.runs)
                if args.warm:
                    time_command(argv, env, workdir)  # warm the page cache; not measured
                walls, cpus = [], []
                for _ in range(args.runs):
                    wall, cpu = time_command(argv, env, workdir)
                    walls.append(wall)
                    cpus.append(cpu)
                    progress.advance(task)
                rows.append(
                    {
                        "command": name,
                        "runs": args.runs,
                        "wall_ms": {"min": min(walls), "median": median(walls), "max": max(walls)},
                        "cpu_ms": {"min": min(cpus), "median": median(cpus), "max": max(cpus)},
                        "wall_ms_all": walls,
                        "cpu_ms_all": cpus,
                    }
                )
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    """Print the markdown table and the verdict; return the verdict line."""
    table = markdown_table(
        [
            "command",
            "runs",
            "CPU ms min",
            "CPU ms median",
            "CPU ms max",
            "wall ms min",
            "wall ms median",
            "wall ms max",
        ],
        [
            [
                f"`{r['command']}`",
                r["runs"],
                r["cpu_ms"]["min"],
                r["cpu_ms"]["median"],
                r["cpu_ms"]["max"],
                r["wall_ms"]["min"],
                r["wall_ms"]["median"],
                r["wall_ms"]["max"],
            ]
            for r in rows
        ],
    )
    help_row = next(r for r in rows if r["command"] == "purser --help")
    cpu = help_row["cpu_ms"]["median"]
    line = f"purser --help: median {cpu:.0f} ms CPU (budget ≤ {BUDGET_MS:.0f} ms) {verdict(cpu <= BUDGET_MS)}"
    print_markdown(table, [line])
    return line


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, time the commands, print and save the results."""
    parser = bench_parser(__doc__)
    parser.add_argument("--runs", type=int, default=10, help="measured runs of each command")
    args = parser.parse_args(argv)
    args.warm = not args.quick
    if args.quick:
        args.runs = 1
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    meta = run_header("Purser CLI cold start")
    rows = run(args)
    line = report(rows)
    write_json(args.json, {"meta": meta, "rows": rows, "verdict": line})


if __name__ == "__main__":
    main()
