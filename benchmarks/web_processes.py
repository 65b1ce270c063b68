"""1 vs 2 server processes on PostgreSQL: does a second `purser serve` add throughput, or contend?

    .venv/bin/python benchmarks/web_processes.py                    # 8 conversations per process, 20 s
    .venv/bin/python benchmarks/web_processes.py --concurrency 4 --seconds 30 --json run.json
    .venv/bin/python benchmarks/web_processes.py --quick            # smoke size

What runs: a fresh PostgreSQL database `purser_bench_<random>` on 127.0.0.1 (created here, dropped
after), filled through `purser sandbox load` with a generated population; two real `purser serve`
processes on two ports share it (started one after the other, so only one migrates). The load client
(`_load.py`, same widget-like mix as `web_turns.py`) first drives process A alone with
`--concurrency` conversations in flight, then both with twice that, worker i on process i mod 2, so
each process carries the same load in both phases. Each phase has an unmeasured warm-up.

Figures, per phase (1 process, 2 processes):
- turns/s: answered customer turns per wall second, all processes together;
- server CPU / turn: CPU of all `purser serve` processes (from /proc/<pid>/stat, each process and its
  children) over the window, divided by the turns;
- turns per server-CPU-second: turns / server CPU. It does not depend on how many cores there are:
  if it stays the same with 2 processes (ratio ≈ 1.0), the processes do not contend (no lock waits
  that burn CPU, no retries, no serialization that costs work); if it drops, they do;
- PostgreSQL per turn, from its own counters for this database (pg_stat_database, read after
  `--settle` quiet seconds because backends publish them late): sessions opened (a connection pool
  that is too small for the load opens and closes connections), transactions, and milliseconds
  its backends spent executing statements (waits for row locks included: a contention sign);
- throughput ratio (2 / 1): the budget's figure. DESIGN §12 asks 2 processes ≥ 1.8× one. On a
  2-core machine that also runs the load client and PostgreSQL, 2 processes cannot get 2 cores of
  their own, so the throughput ratio is capped by the machine, not by Purser; the CPU-normalized
  ratio (turns per server-CPU-second, 2 / 1) shows whether the software scales: ≥ 0.9 means each
  process keeps its efficiency next to the other, so with a core each the throughput ratio follows.
  Conversely, while other work keeps the machine busy, two processes win a larger share of the
  scheduler than one and the throughput ratio can exceed 2: read it with the load average.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _harness import (
    LOAD_COLUMNS,
    bench_parser,
    failed_requests,
    populated_servers,
    postgres_stats,
    print_markdown,
    rows_table,
    run_header,
    verdict,
    write_json,
)
from _load import Customers, measure, progress_bar

BUDGET_RATIO = 1.8


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Database, population, two servers; the 1-process phase then the 2-process phase."""
    rows = []
    names = ("server-a", "server-b")
    with populated_servers("postgres", args.customers, names) as (url, (first, second), ids):
        db_name = url.rsplit("/", 1)[1]
        customers = Customers(ids)
        with progress_bar() as progress:
            for servers in ([first], [first, second]):
                row = measure(
                    servers,
                    customers,
                    args.concurrency * len(servers),
                    seconds=args.seconds,
                    warmup_seconds=args.warmup,
                    progress=progress,
                    label=f"{len(servers)} process{'es' if len(servers) > 1 else ''}",
                    before=lambda: _pg_settled(db_name, args.settle),
                )
                after = _pg_settled(db_name, args.settle)
                row.update(_pg_per_turn(row.pop("before"), after, row["turns"]))
                rows.append(row)
    return rows


def _pg_settled(database: str, settle: float) -> dict[str, float]:
    # Backends publish their counters late (up to 10 s when idle): wait, then read.
    time.sleep(settle)
    return postgres_stats(database)


def _pg_per_turn(before: dict[str, float], after: dict[str, float], turns: int) -> dict[str, float]:
    """PostgreSQL's work per turn over the window: sessions opened, transactions, ms executing."""
    if not turns:
        return {"pg_sessions_per_turn": float("nan"), "pg_xacts_per_turn": float("nan"), "pg_active_ms_per_turn": 0.0}
    return {
        "pg_sessions_per_turn": (after["sessions"] - before["sessions"]) / turns,
        "pg_xacts_per_turn": (after["transactions"] - before["transactions"]) / turns,
        "pg_active_ms_per_turn": (after["active_ms"] - before["active_ms"]) / turns,
    }


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the markdown table, the ratios and the verdict; return the ratios."""
    one, two = rows
    ratios = {
        "throughput_ratio": two["turns_per_s"] / one["turns_per_s"] if one["turns_per_s"] else float("nan"),
        "cpu_normalized_ratio": two["turns_per_server_cpu_s"] / one["turns_per_server_cpu_s"],
    }
    table = rows_table(
        rows,
        [
            ("processes", "processes"),
            *LOAD_COLUMNS,
            ("PG sessions opened/turn", "pg_sessions_per_turn"),
            ("PG transactions/turn", "pg_xacts_per_turn"),
            ("PG active ms/turn", "pg_active_ms_per_turn"),
        ],
    )
    lines = [
        f"throughput 2 / 1 processes: {ratios['throughput_ratio']:.2f}× (budget ≥ {BUDGET_RATIO}×) "
        f"{verdict(ratios['throughput_ratio'] >= BUDGET_RATIO)}",
        f"turns per server-CPU-second 2 / 1: {ratios['cpu_normalized_ratio']:.2f} "
        "(≈ 1.0: the processes do not contend; the core count caps the throughput ratio on this machine)",
    ]
    lines.extend(failed_requests(rows))
    print_markdown(table, lines)
    return ratios


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run both phases, print and save the results."""
    parser = bench_parser(__doc__, load=True)
    parser.add_argument("--concurrency", type=int, default=8, help="conversations in flight per process")
    parser.add_argument("--customers", type=int, default=300, help="generated customers")
    parser.add_argument("--settle", type=float, default=11.0, help="quiet seconds before reading PostgreSQL's counters")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.customers, args.concurrency, args.settle = 0.7, 0.2, 4, 2, 1.0
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    meta = run_header("Purser on PostgreSQL: 1 vs 2 purser serve processes, offline model")
    rows = run(args)
    ratios = report(rows)
    write_json(args.json, {"meta": meta, "rows": rows, "ratios": ratios})


if __name__ == "__main__":
    main()
