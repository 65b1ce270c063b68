"""Server memory over 10,000 conversations: does `purser serve`'s resident memory stay flat?

    .venv/bin/python benchmarks/web_memory.py                          # SQLite, 10,000 conversations
    .venv/bin/python benchmarks/web_memory.py --backend postgres --json run.json
    .venv/bin/python benchmarks/web_memory.py --quick                  # smoke size

What runs: one real `purser serve` process on a fresh database with a generated population (as in
`web_turns.py`), and the load client (`_load.py`) creating `--conversations` conversations with one
or two customer turns each (half get a second message; a refund quote is confirmed), 8 in flight.
Every `--every` conversations the server's resident memory is read from the process itself
(`VmRSS` in /proc/<pid>/status, the process and its children). The first sample is taken before any
conversation (after start-up).

Figures: the RSS curve (a PNG plot in benchmarks/results/), and the slope: a least-squares line
through the samples after `--warmup` conversations (caches, pools and the allocator's arenas fill
first), in KiB per 1,000 conversations. Every conversation is new, so anything kept per
conversation in the process shows up as a slope.

Budget (DESIGN §12): RSS flat over 10,000 conversations; here "flat" means a slope under
`--flat` KiB per 1,000 conversations (default 100, i.e. < 1 MiB over the whole run).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from _harness import (
    RESULTS,
    bench_parser,
    console,
    failed_requests,
    markdown_table,
    populated_servers,
    print_markdown,
    rss_kib,
    run_header,
    verdict,
    write_json,
)
from _load import Customers, Recorder, drive
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def slope_kib_per_1000(samples: list[tuple[int, int]], after: int) -> float:
    """Least-squares slope of RSS (KiB) against conversations, over samples at or after `after`, per 1,000."""
    points = [(x, y) for x, y in samples if x >= after]
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    if var == 0:
        return float("nan")
    return 1000 * sum((x - mean_x) * (y - mean_y) for x, y in points) / var


def run(args: argparse.Namespace) -> tuple[list[tuple[int, int]], Recorder, float]:
    """Start the server, create the conversations in steps of `args.every`, sample RSS after each step."""
    samples: list[tuple[int, int]] = []
    rec = Recorder()
    elapsed = 0.0
    with populated_servers(args.backend, args.customers, label=args.backend) as (_url, (server,), ids):
        customers = Customers(ids)
        samples.append((0, rss_kib(server.pid)))
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("RSS {task.fields[rss]:,} KiB", style="cyan"),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            task = progress.add_task("conversations", total=args.conversations, rss=samples[0][1])
            done = 0
            while done < args.conversations:
                step = min(args.every, args.conversations - done)
                elapsed += asyncio.run(
                    drive(
                        [server.base_url],
                        customers,
                        args.concurrency,
                        conversations=step,
                        rec=rec,
                        max_messages=0,  # one or two messages, drawn per conversation
                        tick=lambda: progress.advance(task),
                    )
                )
                done += step
                samples.append((done, rss_kib(server.pid)))
                progress.update(task, completed=done, rss=samples[-1][1])
    return samples, rec, elapsed


def plot(samples: list[tuple[int, int]], warmup: int, slope: float, path: Path, caption: str) -> None:
    """RSS (MiB) against conversations created, with the warm-up marked."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state, a faster import

    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    ax.plot([x for x, _ in samples], [y / 1024 for _, y in samples], marker="o", markersize=3)
    ax.axvline(warmup, color="grey", linestyle="--", label=f"warm-up ends ({warmup:,})")
    ax.set(
        xlabel="conversations created",
        ylabel="server RSS (MiB)",
        title=f"purser serve resident memory; slope after warm-up {slope:,.0f} KiB / 1,000 conversations",
    )
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.suptitle(caption, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    console.print(f"plot: {path}", highlight=False)


def report(args: argparse.Namespace, samples: list[tuple[int, int]], rec: Recorder, elapsed: float) -> dict[str, Any]:
    """Print the curve (every few samples), the slope and the verdict; return the summary."""
    slope = slope_kib_per_1000(samples, args.warmup)
    stride = max(1, len(samples) // 10)
    shown = samples[::stride] + ([samples[-1]] if (len(samples) - 1) % stride else [])
    table = markdown_table(
        ["conversations", "server RSS MiB", "growth since warm-up MiB"],
        [[x, y / 1024, (y - _at(samples, args.warmup)) / 1024 if x >= args.warmup else float("nan")] for x, y in shown],
    )
    summary = {
        "backend": args.backend,
        "conversations": rec.conversations,
        "turns": rec.turns,
        "errors": sum(rec.errors.values()),
        "error_kinds": rec.errors,
        "seconds": round(elapsed, 1),
        "rss_start_kib": samples[0][1],
        "rss_end_kib": samples[-1][1],
        "slope_kib_per_1000": slope,
        "flat_threshold_kib_per_1000": args.flat,
    }
    lines = [
        f"{rec.conversations:,} conversations, {rec.turns:,} turns in {elapsed:.0f} s on {args.backend}; "
        f"RSS {samples[0][1] / 1024:.1f} → {samples[-1][1] / 1024:.1f} MiB",
        f"slope after {args.warmup:,} conversations: {slope:,.1f} KiB per 1,000 conversations "
        f"(flat: < {args.flat:.0f}) {verdict(slope < args.flat)}",
    ]
    lines.extend(failed_requests([summary]))
    print_markdown(table, lines)
    return summary


def _at(samples: list[tuple[int, int]], conversations: int) -> int:
    return next((y for x, y in samples if x >= conversations), samples[-1][1])


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run, print, plot and save the results."""
    parser = bench_parser(__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=500, help="sample RSS every N conversations")
    parser.add_argument("--warmup", type=int, default=1_000, help="conversations before the slope is fitted")
    parser.add_argument("--concurrency", type=int, default=8, help="conversations in flight")
    parser.add_argument("--customers", type=int, default=300, help="generated customers")
    parser.add_argument("--flat", type=float, default=100.0, help="KiB per 1,000 conversations that count as flat")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the plot")
    args = parser.parse_args(argv)
    if args.quick:
        args.conversations, args.every, args.warmup, args.customers, args.concurrency = 20, 10, 10, 4, 4
    if args.customers < 1 or args.every < 1 or args.conversations < 1:
        parser.error("--customers, --every and --conversations must be at least 1")
    meta = run_header(f"Purser server memory over {args.conversations:,} conversations")
    samples, rec, elapsed = run(args)
    summary = report(args, samples, rec, elapsed)
    slope = summary["slope_kib_per_1000"]
    plot(samples, args.warmup, slope, args.out / "web_memory.png", f"{args.backend}, offline model, {meta['date']}")
    write_json(
        args.json,
        {"meta": meta, "summary": summary, "samples": [{"conversations": x, "rss_kib": y} for x, y in samples]},
    )


if __name__ == "__main__":
    main()
