"""HTTP turns: customer turns per second, latency and server CPU per turn of one `purser serve` process.

    .venv/bin/python benchmarks/web_turns.py                        # SQLite, concurrency 1, 2, 4, 8
    .venv/bin/python benchmarks/web_turns.py --backend postgres --seconds 30 --json run.json
    .venv/bin/python benchmarks/web_turns.py --backend both --customers 0     # the demo seed
    .venv/bin/python benchmarks/web_turns.py --quick                          # smoke size

What runs: `purser sandbox load` fills a fresh database (a SQLite file in a temporary directory, or
a throw-away PostgreSQL database `purser_bench_<random>` on 127.0.0.1, dropped after) with a
generated population (`--customers`, each on a monthly plan with a duplicate charge to refund; 0 =
the demo seed), then the real `purser serve` runs as a subprocess: offline model, demo identity
mode, its default rate limits and access log. The load client in this process (`_load.py`: httpx,
asyncio) runs widget-like conversations (account questions, a refund quote then its confirmation,
a plan-change quote, small talk), one turn at a time per conversation, with `concurrency`
conversations in flight. Each concurrency level has an unmeasured warm-up first.

Figures, per concurrency level:
- turns/s: answered customer turns (messages and confirmation clicks) per wall second; on this
  shared 2-core machine the load client and the server compete for the cores, so this is a floor;
- p50 / p99: latency of one turn as the client sees it (ms);
- server CPU / turn: CPU of the server process (and any children), read from /proc/<pid>/stat
  before and after the window, divided by the turns. Conversation creation is part of the load, so
  its CPU is included (spread over the turns): a conservative figure;
- turns per server-CPU-second: 1000 / (server CPU per turn), what one core of server could answer;
- PG CPU / turn (PostgreSQL only): CPU of the database's backend processes (pg_stat_activity, read
  from /proc) over the window: the database's share of a turn, which a server with more cores than
  this one would run beside the server rather than on its cores;
- client CPU / turn: this process's own CPU, to show how much of the machine the load client takes.

Budget (DESIGN §12): ≤ 5 ms of server CPU per HTTP turn, i.e. ≥ 200 turns/s on one process.

`--callgrind` counts instructions instead of CPU time (load-independent, so comparable between runs
on a busy machine): the server runs under `valgrind --tool=callgrind --instr-atstart=no`; after a
warm-up its counters run over an idle window (`--idle` seconds: what the server spends doing nothing,
per second) and then over `--conversations` conversations at concurrency 1. Instructions per turn
are the turns window's less the idle rate times its length (the idle share would otherwise grow
with valgrind's slowness), all threads together; creation of the conversations included.

    .venv/bin/python benchmarks/web_turns.py --callgrind --backend both
    .venv/bin/python benchmarks/web_turns.py --callgrind --backend postgres --keep-dump cg/   # then callgrind_annotate

`--profile` says where the server's time goes instead: the server runs with cProfile on every one of
its threads (event loop, runtime loop, thread pool); after a warm-up, the profiles' difference over
`--conversations` conversations at concurrency 1 is written as a pstats file (`--out`/web_turns.prof)
and its top functions by own time are printed. cProfile's own cost inflates small Python calls: use
it for where, callgrind for how much.

    .venv/bin/python benchmarks/web_turns.py --profile --backend postgres
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import marshal
import pstats
import runpy
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _harness import (
    LOAD_COLUMNS,
    RESULTS,
    PostgresCpu,
    bench_parser,
    console,
    failed_requests,
    populated_servers,
    print_markdown,
    rows_table,
    run_header,
    verdict,
    write_json,
)
from _load import Customers, Recorder, drive, measure, progress_bar

BUDGET_MS = 5.0
BUDGET_TPS = 200.0


def run_backend(backend: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Fresh database, population, one server; every concurrency level measured in turn."""
    rows = []
    with populated_servers(backend, args.customers, label=backend) as (url, (server,), ids):
        customers = Customers(ids)
        # PostgreSQL's own work per turn, from its backends' /proc entries (SQLite runs inside the server).
        pg = PostgresCpu(url.rsplit("/", 1)[1]) if backend == "postgres" else None
        with progress_bar() as progress:
            for level in args.concurrency:
                row = measure(
                    [server],
                    customers,
                    level,
                    seconds=args.seconds,
                    warmup_seconds=args.warmup,
                    progress=progress,
                    label=f"{backend} × {level}",
                    before=pg.start if pg is not None else None,
                )
                row.pop("before")
                pg_cpu = pg.stop() if pg is not None else float("nan")
                row["pg_cpu_ms_per_turn"] = 1000 * pg_cpu / row["turns"] if row["turns"] else float("nan")
                rows.append({"backend": backend, **row})
    return rows


def _callgrind(pid: int, *commands: str) -> None:
    for command in commands:
        subprocess.run(["callgrind_control", *command.split(" ", 1), str(pid)], check=True, capture_output=True)


def _dumped(out: Path, number: int) -> int:
    """The instruction total of callgrind's dump number `number` of `out` (waits until it is written)."""
    path = out.with_name(f"{out.name}.{number}")
    deadline = time.monotonic() + 300
    while True:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("totals:"):
                    return int(line.split()[1])
        if time.monotonic() > deadline:
            raise RuntimeError(f"callgrind wrote no totals to {path}")
        time.sleep(0.5)


def instructions(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """One server under callgrind: its idle instructions per second and its instructions per HTTP turn."""
    with tempfile.TemporaryDirectory(prefix="purser-callgrind-") as tmp:
        out = Path(tmp) / "server.cg"
        valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
        with populated_servers(backend, args.customers, label=backend, under=valgrind, timeout=1200) as (
            _url,
            (server,),
            ids,
        ):
            customers = Customers(ids)
            with console.status(f"{backend}: warm-up, then {args.idle:g} s idle, then the measured turns…"):
                asyncio.run(drive([server.base_url], customers, 1, conversations=max(1, args.conversations // 2)))
                _callgrind(server.pid, "-z", "-i on")
                time.sleep(args.idle)
                _callgrind(server.pid, "-i off", "-d idle")
                idle = _dumped(out, 1) / args.idle
                rec = Recorder()
                _callgrind(server.pid, "-z", "-i on")
                started = time.perf_counter()
                asyncio.run(drive([server.base_url], customers, 1, conversations=args.conversations, rec=rec))
                elapsed = time.perf_counter() - started
                _callgrind(server.pid, "-i off", "-d turns")
                window = _dumped(out, 2)
                if args.keep_dump is not None:  # for callgrind_annotate: where the instructions go
                    args.keep_dump.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(out.with_name(f"{out.name}.2"), args.keep_dump / f"{backend}-turns.cg")
    turns = rec.turns
    return {
        "backend": backend,
        "conversations": rec.conversations,
        "turns": turns,
        "errors": sum(rec.errors.values()),
        "error_kinds": rec.errors,
        "window_s": round(elapsed, 1),
        "idle_instructions_per_s": round(idle),
        "instructions_per_turn": round((window - idle * elapsed) / turns) if turns else float("nan"),
    }


_PROFILE_CONTROL = ("start", "stop")
"""Files next to the profile's output whose appearance starts and ends the profiled server's window."""


def _profiled_server(out: Path, command: Sequence[str]) -> None:
    """Run `command` (`<python> -m purser.cli serve ...`) in this process with every thread profiled.

    Each thread gets its own `cProfile.Profile` when it starts, timed by the thread's own CPU clock (the
    machine is shared: wall time would count other processes' turns on the cores); a control thread (not profiled) takes
    a snapshot of all of them when `<out>.start` appears and writes the difference when `<out>.stop`
    appears. Snapshots read the profilers without stopping them."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def snapshot() -> dict[Any, list[Any]]:
        # func -> [cc, nc, tt, ct, {caller: [cc, nc, tt, ct]}], summed over the threads
        merged: dict[Any, list[Any]] = {}
        with lock:
            current = list(profiles)
        for profile in current:
            profile.snapshot_stats()
            for func, (cc, nc, tt, ct, callers) in profile.stats.items():
                entry = merged.setdefault(func, [0, 0, 0.0, 0.0, {}])
                for i, value in enumerate((cc, nc, tt, ct)):
                    entry[i] += value
                for caller, counts in callers.items():
                    mine = entry[4].setdefault(caller, [0, 0, 0.0, 0.0])
                    for i, value in enumerate(counts):
                        mine[i] += value
        return merged

    def control() -> None:
        start, stop = (out.with_name(f"{out.name}.{name}") for name in _PROFILE_CONTROL)
        while not start.exists():
            time.sleep(0.2)
        before = snapshot()
        while not stop.exists():
            time.sleep(0.2)
        after = snapshot()
        stats = {}
        for func, (cc, nc, tt, ct, callers) in after.items():
            old = before.get(func, [0, 0, 0.0, 0.0, {}])
            if nc > old[1]:
                was = old[4]
                delta = {
                    caller: tuple(v - w for v, w in zip(counts, was.get(caller, (0, 0, 0.0, 0.0)), strict=True))
                    for caller, counts in callers.items()
                }
                delta = {caller: counts for caller, counts in delta.items() if counts[0] > 0}
                stats[func] = (cc - old[0], nc - old[1], tt - old[2], ct - old[3], delta)
        out.write_bytes(marshal.dumps(stats))

    threading.Thread(target=control, name="profile-control", daemon=True).start()

    def profile_thread(*_args: Any) -> None:
        # Called once in each new thread (threading.setprofile): replace the hook by a profiler there.
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.enable()

    threading.setprofile(profile_thread)
    main_profile = cProfile.Profile(time.thread_time)
    profiles.append(main_profile)
    main_profile.enable()
    interpreter, dash_m, module, *rest = command
    assert dash_m == "-m", command
    sys.argv = [interpreter, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def profile(backend: str, args: argparse.Namespace) -> None:
    """One server profiled on every thread over `--conversations` conversations (after a warm-up)."""
    out = (args.out / "web_turns.prof").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    controls = [out.with_name(f"{out.name}.{name}") for name in _PROFILE_CONTROL]
    for path in (out, *controls):
        path.unlink(missing_ok=True)
    under = [sys.executable, str(Path(__file__).resolve()), "--profiled-server", str(out)]
    with populated_servers(backend, args.customers, label=backend, under=under) as (_url, (server,), ids):
        customers = Customers(ids)
        with console.status(f"{backend}: warm-up, then the profiled turns…"):
            asyncio.run(drive([server.base_url], customers, 1, conversations=max(1, args.conversations // 2)))
            controls[0].touch()
            time.sleep(1.0)  # the control thread polls every 0.2 s
            rec = Recorder()
            asyncio.run(drive([server.base_url], customers, 1, conversations=args.conversations, rec=rec))
            controls[1].touch()
            deadline = time.monotonic() + 60
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
    for path in controls:
        path.unlink(missing_ok=True)
    console.print(f"{backend}: {rec.turns} turns, {rec.conversations} conversations; profile: {out}", highlight=False)
    stats = pstats.Stats(str(out))
    stats.sort_stats("tottime").print_stats(40)


def report_instructions(rows: list[dict[str, Any]]) -> None:
    """Print the callgrind table."""
    table = rows_table(
        rows,
        [
            ("backend", "backend"),
            ("turns", "turns"),
            ("window s", "window_s"),
            ("instructions / turn", "instructions_per_turn"),
            ("idle instructions / s", "idle_instructions_per_s"),
        ],
    )
    print_markdown(table, failed_requests(rows))


def plot(rows: list[dict[str, Any]], path: Path, date: str) -> None:
    """Throughput (measured, and per server-CPU-second) and server CPU per turn against concurrency."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state, a faster import

    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    for backend in sorted({r["backend"] for r in rows}):
        mine = [r for r in rows if r["backend"] == backend]
        levels = [r["concurrency"] for r in mine]
        line = left.plot(levels, [r["turns_per_s"] for r in mine], marker="o", label=f"{backend}, measured")[0]
        # What one core of server would answer: independent of how busy the shared machine was.
        capacity = [r["turns_per_server_cpu_s"] for r in mine]
        left.plot(levels, capacity, marker="x", linestyle=":", color=line.get_color(), label=f"{backend}, per CPU-s")
        right.plot(levels, [r["server_cpu_ms_per_turn"] for r in mine], marker="o", label=backend)
    left.axhline(BUDGET_TPS, color="grey", linestyle="--", label=f"budget {BUDGET_TPS:.0f}/s")
    right.axhline(BUDGET_MS, color="grey", linestyle="--", label=f"budget {BUDGET_MS:.0f} ms")
    left.set(xlabel="concurrent conversations", ylabel="customer turns / s", title="Throughput, one process")
    right.set(xlabel="concurrent conversations", ylabel="server CPU ms / turn", title="Server CPU per turn")
    levels = sorted({r["concurrency"] for r in rows})
    for ax in (left, right):
        ax.set_xticks(levels)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"purser serve, offline model, {date}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    console.print(f"plot: {path}", highlight=False)


def report(rows: list[dict[str, Any]]) -> list[str]:
    """Print the markdown table and the budget verdicts; return the verdict lines."""
    table = rows_table(
        rows,
        [
            ("backend", "backend"),
            *LOAD_COLUMNS,
            ("PG CPU ms/turn", "pg_cpu_ms_per_turn"),
            ("client CPU ms/turn", "client_cpu_ms_per_turn"),
        ],
    )
    lines = []
    for backend in sorted({r["backend"] for r in rows}):
        mine = [r for r in rows if r["backend"] == backend]
        best_cpu = min(r["server_cpu_ms_per_turn"] for r in mine)
        best_tps = max(r["turns_per_s"] for r in mine)
        lines.append(
            f"{backend}: server CPU per turn {best_cpu:.2f} ms (budget ≤ {BUDGET_MS:.0f}) "
            f"{verdict(best_cpu <= BUDGET_MS)}; "
            f"best throughput {best_tps:.1f} turns/s (budget ≥ {BUDGET_TPS:.0f}) {verdict(best_tps >= BUDGET_TPS)}"
        )
        lines.extend(failed_requests(mine, backend))
    print_markdown(table, lines)
    return lines


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run each backend, print and save the results."""
    parser = bench_parser(__doc__, load=True)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--concurrency", default="1,2,4,8", help="comma-separated concurrency levels")
    parser.add_argument(
        "--customers",
        type=int,
        default=300,
        help="generated customers; 0 = the demo seed, whose few customers reach the server's limit on new "
        "conversations per customer (0.5/s each) at a few turns per second",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the plot")
    parser.add_argument(
        "--callgrind", action="store_true", help="count the server's instructions per turn under valgrind instead"
    )
    parser.add_argument("--conversations", type=int, default=30, help="--callgrind: measured conversations")
    parser.add_argument("--idle", type=float, default=30.0, help="--callgrind: idle seconds measured")
    parser.add_argument(
        "--keep-dump",
        type=Path,
        help="--callgrind: copy the turns' dump to DIR/<backend>-turns.cg",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the server's threads with cProfile over --conversations"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.customers, args.concurrency = 0.7, 0.2, 60, "1,2"
    args.concurrency = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    meta = run_header("Purser HTTP turns: one purser serve process, offline model")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if args.profile:
        for backend in backends:
            profile(backend, args)
        return
    if args.callgrind:
        if args.quick:
            args.conversations, args.idle = 2, 1.0
        counted = [instructions(backend, args) for backend in backends]
        report_instructions(counted)
        write_json(args.json, {"meta": meta, "rows": counted})
        return
    rows = []
    for backend in backends:
        rows.extend(run_backend(backend, args))
    verdicts = report(rows)
    plot(rows, args.out / "web_turns.png", meta["date"])
    write_json(args.json, {"meta": meta, "rows": rows, "verdicts": verdicts})


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profiled-server"]:  # the server side of --profile (see `profile`)
        _profiled_server(Path(sys.argv[2]), sys.argv[3:])
    else:
        main()
