"""Server memory over 10,000 conversations: does `purser serve`'s resident memory stay flat?

    .venv/bin/python benchmarks/web_memory.py                          # SQLite, 10,000 conversations
    .venv/bin/python benchmarks/web_memory.py --backend postgres --json run.json
    .venv/bin/python benchmarks/web_memory.py --quick                  # smoke size
    .venv/bin/python benchmarks/web_memory.py --conversations 4000 --trace-from 2000   # what grows
    .venv/bin/python benchmarks/web_memory.py --census                 # where memory sits, per sample
    .venv/bin/python benchmarks/web_memory.py --preload "$(dpkg -L libjemalloc2 | grep 'so.2$')"  # another malloc

What runs: one real `purser serve` process on a fresh database with a generated population (as in
`web_turns.py`), and the load client (`_load.py`) creating `--conversations` conversations with one
or two customer turns each (half get a second message; a refund quote is confirmed), 8 in flight.
Every `--every` conversations the server's resident memory is read from the process itself
(`VmRSS` in /proc/<pid>/status, the process and its children). The first sample is taken before any
conversation (after start-up).

Figures: the RSS curve (a PNG plot in benchmarks/results/), and the slope: a least-squares line
through the samples after `--warmup` conversations (caches, pools and the allocator's arenas fill
first), in KiB per 1,000 conversations. Every conversation is new, so anything kept per
conversation in the process shows up as a slope. The slope over the second half of the run and the
growth after warm-up (MiB) are printed beside it: a leak has the same slope in both windows, a
bounded fill that ends after the warm-up (a cache reaching its bound, the allocator's pools
reaching their steady fragmentation) only in the first.

The warm-up is mostly one-time: the first turn imports the offline model (its modules, the
classifier's shipped weights, babel's country names); the model's memos of texts, the connection
pool and the thread pool fill in the first few hundred conversations.

Budget (DESIGN §12): RSS flat over 10,000 conversations; here "flat" means a slope under
`--flat` KiB per 1,000 conversations (default 100, i.e. < 1 MiB over the whole run).

`--census` says where memory sits without slowing the server: at every sample (and before the
first conversation) the server (through `_tracemalloc/sitecustomize.py`) writes its live objects by
type, the fill, hits and misses of every `lru_cache` and the sizes of the containers held by module
globals and by objects of its libraries, pymalloc's arenas and free space, glibc malloc's totals,
SQLite's own heap (`sqlite3_memory_used`), the cyclic garbage the collector freed so far, its
threads and its resident memory by kind of mapping; the report lists what changed between the
warm-up and the end. Each census runs a full collection first, so RSS reads a little higher.

`--trace-from N` says what grows: the server starts `tracemalloc` after N conversations (through
`_tracemalloc/sitecustomize.py`, put on the server's PYTHONPATH; until then it runs at full speed),
writes a snapshot of the live allocations at every later sample, and the report lists the traced
Python memory at each sample and the allocation sites that grew most between the first and the last
snapshot. Tracing slows the server several times over and adds its own memory, so the RSS figures
of a traced run are not the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import tempfile
import time
import tracemalloc
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
    process_tree,
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


HOOK = Path(__file__).resolve().parent / "_tracemalloc"
"""The folder holding the `sitecustomize` that lets a server trace its allocations on a signal."""


class Tracer:
    """Censuses and allocation snapshots of a server (`--census`, `--trace-from`), taken on signals."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken = 0
        self.snapshots: list[tuple[int, Path]] = []
        self.censuses: list[tuple[int, dict[str, Any]]] = []
        self.started_at: int | None = None

    @staticmethod
    def environment(folder: Path) -> None:
        """Put the hook on PYTHONPATH for the processes started from now on (the server among them)."""
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOK), os.environ.get("PYTHONPATH")) if p)
        os.environ["BENCH_TRACE_DIR"] = str(folder)

    def start(self, pid: int, conversations: int) -> None:
        """Start tracing in the server (what is allocated from now on)."""
        os.kill(pid, signal.SIGUSR2)
        self.started_at = conversations

    def snapshot(self, pid: int, conversations: int, timeout: float = 600) -> None:
        """Have the server write a census (and, when tracing, a snapshot of its live traced
        allocations); wait for it."""
        os.kill(pid, signal.SIGUSR1)
        self.taken += 1
        path = self.folder / f"snapshot-{self.taken}.pickle"
        deadline = time.monotonic() + timeout
        while not path.with_suffix(".done").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server wrote no census in {timeout:.0f} s")
            time.sleep(0.2)
        if path.exists():
            self.snapshots.append((conversations, path))
        census = self.folder / f"census-{self.taken}.json"
        self.censuses.append((conversations, json.loads(census.read_text())))

    def report(self, top: int = 12) -> dict[str, Any]:
        """Traced memory per snapshot, its slope, and the sites that grew most from the first to the last."""
        if len(self.snapshots) < 2:
            return {}
        ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
        loaded = [(n, tracemalloc.Snapshot.load(str(p)).filter_traces(ignore)) for n, p in self.snapshots]
        totals = [(n, sum(t.size for t in snap.traces) // 1024) for n, snap in loaded]
        grew = loaded[-1][1].compare_to(loaded[0][1], "traceback")
        sites = [
            {
                "kib": round(stat.size_diff / 1024, 1),
                "blocks": stat.count_diff,
                "where": _where(stat.traceback),
            }
            for stat in grew[:top]
        ]
        slope = slope_kib_per_1000(totals, totals[0][0])
        rows = [[s["kib"], s["blocks"], s["where"]] for s in sites]
        print_markdown(
            markdown_table(["grew KiB", "blocks", "allocated at (innermost Purser frame ← innermost frame)"], rows),
            [
                f"traced Python memory (allocated since {self.started_at:,} conversations, alive): "
                + ", ".join(f"{kib:,} KiB at {n:,}" for n, kib in totals),
                f"traced slope: {slope:,.1f} KiB per 1,000 conversations",
            ],
        )
        return {"from": self.started_at, "traced_kib": totals, "traced_slope_kib_per_1000": slope, "sites": sites}

    def census_report(self, since: int, top: int = 15) -> dict[str, Any]:
        """What changed between the first census at or after `since` conversations and the last: object
        counts by type, cache fills, the allocators' totals; printed as tables."""
        after = [(n, c) for n, c in self.censuses if n >= since]
        if len(after) < 2:
            return {}
        (n0, first), (n1, last) = after[0], after[-1]
        rows: list[list[Any]] = []
        for label, key in (
            ("gc-tracked objects", ("gc_objects",)),
            ("cyclic garbage freed by the collector (objects, so far)", ("gc", "collected")),
            ("threads", ("threads",)),
            ("modules", ("modules",)),
            ("pymalloc arenas (1 MiB… 256 KiB)", ("pymalloc", "arenas")),
            ("pymalloc bytes in allocated blocks", ("pymalloc", "bytes_used")),
            ("pymalloc bytes free in used pools", ("pymalloc", "bytes_free_in_pools")),
            ("malloc heap bytes (all arenas)", ("glibc", "heap_bytes")),
            ("malloc bytes in use", ("glibc", "in_use_bytes")),
            ("malloc bytes free inside heaps", ("glibc", "free_bytes")),
            ("malloc mmapped bytes", ("glibc", "mmapped_bytes")),
            ("SQLite heap bytes (all connections)", ("sqlite", "memory_used_bytes")),
        ):
            a, b = _dig(first, key), _dig(last, key)
            rows.append([label, a, b, b - a if isinstance(a, int) and isinstance(b, int) else ""])
        grew = _grew(first["types"], last["types"], top)
        lru_first, lru_last = first["caches"]["lru"], last["caches"]["lru"]
        lru = []  # caches that filled or missed after warm-up (a full cache that misses churns)
        for name, (size, bound, hits, misses) in lru_last.items():
            size0, _, hits0, misses0 = lru_first.get(name, [0, bound, 0, 0])
            if size != size0 or misses != misses0:
                lru.append([name, size0, size, bound, hits - hits0, misses - misses0])
        lru.sort(key=lambda row: -row[5])
        held = _grew(
            {**first["caches"]["module_containers"], **first["caches"]["instance_containers"]},
            {**last["caches"]["module_containers"], **last["caches"]["instance_containers"]},
            top,
        )
        print_markdown(markdown_table([f"census {n0:,} → {n1:,} conversations", "first", "last", "change"], rows), [])
        print_markdown(markdown_table(["type", "first", "last", "change"], grew), [])
        print_markdown(
            markdown_table(["lru cache that filled or missed", "first", "last", "bound", "hits", "misses"], lru), []
        )
        print_markdown(markdown_table(["container (module global or attribute)", "first", "last", "change"], held), [])
        return {
            "from": n0,
            "to": n1,
            "totals": {r[0]: [r[1], r[2]] for r in rows},
            "types_grew": grew,
            "lru_changed": lru,
            "containers_grew": held,
            "censuses": [{"conversations": n, **c} for n, c in self.censuses],
        }


def _dig(data: dict[str, Any], key: tuple[str, ...]) -> Any:
    for part in key:
        data = data.get(part, {}) if isinstance(data, dict) else {}
    return data if data != {} else ""


def _grew(first: dict[str, int], last: dict[str, int], top: int) -> list[list[Any]]:
    """Entries whose count changed most (either way), largest change first."""
    names = set(first) | set(last)
    changes = [(n, first.get(n, 0), last.get(n, 0), last.get(n, 0) - first.get(n, 0)) for n in names]
    changes = [c for c in changes if c[3]]
    return [list(c) for c in sorted(changes, key=lambda c: -abs(c[3]))[:top]]


def _where(traceback: tracemalloc.Traceback) -> str:
    frames = list(reversed(traceback))  # innermost first (a Traceback runs from the oldest frame)
    ours = next((f for f in frames if "/purser/" in f.filename and "/benchmarks/" not in f.filename), None)
    inner = frames[0] if frames else None
    parts = [f"{_short(f.filename)}:{f.lineno}" for f in (ours, inner) if f is not None]
    return " ← ".join(dict.fromkeys(parts))


def _short(filename: str) -> str:
    for marker in ("/src/", "/site-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return Path(filename).name


PARTS = ("RssAnon", "RssFile", "RssShmem")
"""What VmRSS is made of (/proc/<pid>/status): the heap and other private memory, mapped files
(code, and any memory-mapped database), shared memory (e.g. SQLite's WAL index)."""


def rss_parts(pid: int) -> dict[str, int]:
    """`PARTS` in KiB, summed over `pid` and its descendants."""
    total = dict.fromkeys(PARTS, 0)
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in total:
                    total[name] += int(value.split()[0])
    return total


Samples = list[tuple[int, int]]
"""(conversations, KiB) pairs."""


def run(args: argparse.Namespace, tracer: Tracer | None = None) -> tuple[Samples, dict[str, Samples], Recorder, float]:
    """Start the server, create the conversations in steps of `args.every`, sample RSS after each step
    (and with `tracer`, start tracing at `args.trace_from` and take a snapshot at every later sample).
    Returns the RSS samples, the same samples split into `PARTS`, the recorder and the seconds driven."""
    samples: Samples = []
    parts: dict[str, Samples] = {name: [] for name in PARTS}

    def sample(pid: int, done: int) -> None:
        samples.append((done, rss_kib(pid)))
        for name, kib in rss_parts(pid).items():
            parts[name].append((done, kib))

    rec = Recorder()
    elapsed = 0.0
    under = ("env", f"LD_PRELOAD={args.preload}") if args.preload else ()
    with populated_servers(args.backend, args.customers, label=args.backend, under=under) as (_url, (server,), ids):
        customers = Customers(ids)
        sample(server.pid, 0)
        if tracer is not None and args.census:
            tracer.snapshot(server.pid, 0)
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
                sample(server.pid, done)
                progress.update(task, completed=done, rss=samples[-1][1])
                if tracer is not None:
                    if args.trace_from is not None and done >= args.trace_from and tracer.started_at is None:
                        tracer.start(server.pid, done)
                    elif args.census or tracer.started_at is not None:
                        tracer.snapshot(server.pid, done)
    return samples, parts, rec, elapsed


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


def report(
    args: argparse.Namespace, samples: Samples, parts: dict[str, Samples], rec: Recorder, elapsed: float
) -> dict[str, Any]:
    """Print the curve (every few samples), the slope and the verdict; return the summary."""
    slope = slope_kib_per_1000(samples, args.warmup)
    # A leak grows at one rate all along; a cache filling to its bound or the allocator reaching its
    # steady fragmentation grows early and stops. The second half's slope tells the two apart.
    half = max(args.warmup, samples[-1][0] // 2)
    tail = slope_kib_per_1000(samples, half)
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
        "slope_parts_kib_per_1000": {name: slope_kib_per_1000(points, args.warmup) for name, points in parts.items()},
        "second_half_from": half,
        "slope_second_half_kib_per_1000": tail,
        "flat_threshold_kib_per_1000": args.flat,
        "preload": str(args.preload) if args.preload else None,
    }
    lines = [
        f"{rec.conversations:,} conversations, {rec.turns:,} turns in {elapsed:.0f} s on {args.backend}; "
        f"RSS {samples[0][1] / 1024:.1f} → {samples[-1][1] / 1024:.1f} MiB",
        f"slope after {args.warmup:,} conversations: {slope:,.1f} KiB per 1,000 conversations "
        f"(flat: < {args.flat:.0f}) {verdict(slope < args.flat)}",
        f"slope over the second half (from {half:,} conversations): {tail:,.1f} KiB per 1,000 conversations; "
        f"growth after warm-up {(samples[-1][1] - _at(samples, args.warmup)) / 1024:.2f} MiB",
    ]
    lines.append(
        "of which: "
        + ", ".join(f"{name} {value:,.1f}" for name, value in summary["slope_parts_kib_per_1000"].items())
        + " KiB per 1,000 conversations"
    )
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
    parser.add_argument(
        "--trace-from",
        type=int,
        default=None,
        help="trace the server's allocations from this many conversations on and list what grew",
    )
    parser.add_argument(
        "--census",
        action="store_true",
        help="take a census of the server's objects, caches and allocators at every sample and list what changed",
    )
    parser.add_argument(
        "--preload",
        type=Path,
        default=None,
        help="a shared library the server runs with (LD_PRELOAD), e.g. another malloc: libjemalloc.so.2",
    )
    args = parser.parse_args(argv)
    if args.preload is not None and not args.preload.is_file():
        parser.error(f"--preload {args.preload}: no such file")
    if args.quick:
        args.conversations, args.every, args.warmup, args.customers, args.concurrency = 20, 10, 10, 4, 4
    if args.customers < 1 or args.every < 1 or args.conversations < 1:
        parser.error("--customers, --every and --conversations must be at least 1")
    meta = run_header(f"Purser server memory over {args.conversations:,} conversations")
    with tempfile.TemporaryDirectory(prefix="purser-trace-") as folder:
        tracer = None
        if args.trace_from is not None or args.census:
            Tracer.environment(Path(folder))
            tracer = Tracer(Path(folder))
        samples, parts, rec, elapsed = run(args, tracer)
        summary = report(args, samples, parts, rec, elapsed)
        if tracer is not None:
            summary["traced"] = tracer.report()
            summary["census"] = tracer.census_report(args.warmup)
    slope = summary["slope_kib_per_1000"]
    plot(samples, args.warmup, slope, args.out / "web_memory.png", f"{args.backend}, offline model, {meta['date']}")
    write_json(
        args.json,
        {
            "meta": meta,
            "summary": summary,
            "samples": [
                {"conversations": x, "rss_kib": y, **{name.lower(): parts[name][i][1] for name in PARTS}}
                for i, (x, y) in enumerate(samples)
            ],
        },
    )


if __name__ == "__main__":
    main()
