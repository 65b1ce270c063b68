"""1 vs 2 server processes on PostgreSQL: does a second `purser serve` add throughput, or contend?

    .venv/bin/python benchmarks/web_processes.py                    # 8 conversations per process, 20 s
    .venv/bin/python benchmarks/web_processes.py --pin              # each server process on a core of its own
    .venv/bin/python benchmarks/web_processes.py --concurrency 4 --seconds 30 --json run.json
    .venv/bin/python benchmarks/web_processes.py --quick            # smoke size

What runs: a fresh PostgreSQL database `purser_bench_<random>` on 127.0.0.1 (created here, dropped
after), filled through `purser sandbox load` with a generated population; two real `purser serve`
processes on two ports share it (started one after the other, so only one migrates). The load client
(`_load.py`, same widget-like mix as `web_turns.py`) first drives process A alone with
`--concurrency` conversations in flight, then both with twice that, worker i on process i mod 2, so
each process carries the same load in both phases. Each phase has an unmeasured warm-up. With
`--pin`, server process i runs on core i mod (cores) (every thread, `taskset -a` style); the load
client and PostgreSQL are left to the scheduler.

Every CPU figure is read from the processes themselves (/proc/<pid>/stat), never inferred from wall
time. Per phase (1 process, 2 processes):
- turns/s: answered customer turns per wall second, all processes together;
- server CPU / turn: CPU of all `purser serve` processes (each process and its children) over the
  window, divided by the turns;
- turns per server-CPU-second: turns / server CPU;
- PostgreSQL CPU / turn: CPU of this database's backend processes (found in pg_stat_activity, read
  from /proc) over the window; client CPU / turn: the load client's own;
- cores used: (server + PostgreSQL + client CPU) / wall seconds: how much of the machine the
  benchmark itself took; other work: the machine's busy cores (/proc/stat) minus that;
- PostgreSQL waits: pg_stat_activity sampled every 50 ms during the window; the share of active
  backends in each wait (`CPU` = running; `Lock:*` = waiting for a row or transaction lock held by
  another transaction, the sign of contention between processes; `IO:WALSync` = a commit waiting
  for the disk);
- sessions opened, transactions and active ms per turn from pg_stat_database (read after
  `--settle` quiet seconds, because backends publish them late).

The ratios (2 / 1):
- wall throughput ratio: the budget's figure (DESIGN §12 asks ≥ 1.8×). It needs two cores' worth
  of server work to be free; on a machine whose cores also run PostgreSQL and the load client it is
  capped by the machine: the **ceiling** printed beside it is the most the cores allow, from the
  2-process phase's total CPU per turn c (server + PostgreSQL + client): cores / (c × turns/s of
  1 process), and the same with the other work seen in the window taken off the cores;
- CPU-normalized ratio: turns per server-CPU-second, 2 / 1. It does not depend on the core count:
  ≈ 1.0 means a second process costs nothing per turn (no waits that burn CPU, no retries, no
  extra statements), so with a core per process the wall ratio follows (projected: 2 × this ratio);
  below 0.9 the processes contend;
- total CPU ratio: turns per CPU-second of server + PostgreSQL + client, 2 / 1: the same question
  asked of everything the turn costs, the database included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

from _harness import (
    LOAD_COLUMNS,
    PostgresCpu,
    Server,
    WaitSampler,
    bench_parser,
    failed_requests,
    machine_busy_seconds,
    pin,
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


class _Window:
    """What the benchmark reads around one measured window besides the load itself: PostgreSQL's
    counters (after `settle` quiet seconds), its backends' CPU, the machine's busy time and the
    backends' waits."""

    def __init__(self, database: str, settle: float) -> None:
        self.database = database
        self.settle = settle
        self.pg_cpu = PostgresCpu(database)
        self.sampler: WaitSampler | None = None
        self.counters: dict[str, float] = {}
        self.busy0 = 0.0
        self.busy_started = 0.0

    def begin(self) -> None:
        """Called by `measure` just before the window opens."""
        time.sleep(self.settle)  # backends publish pg_stat_database late (up to 10 s when idle)
        self.counters = postgres_stats(self.database)
        self.pg_cpu.start()
        self.sampler = WaitSampler(self.database)
        self.sampler.start()
        self.busy0 = machine_busy_seconds()
        self.busy_started = time.monotonic()

    def end(self, row: dict[str, Any]) -> None:
        """After the window: add PostgreSQL's and the machine's figures to `row`."""
        assert self.sampler is not None
        busy = machine_busy_seconds() - self.busy0
        # The machine is read a little before and after the load window: its own span, not the window's.
        busy_span = time.monotonic() - self.busy_started
        pg_cpu = self.pg_cpu.stop()
        waits = self.sampler.stop()
        time.sleep(self.settle)
        after = postgres_stats(self.database)
        turns, wall = row["turns"], row["seconds"]
        ours = row["server_cpu_s"] + pg_cpu + row["client_cpu_s"]
        row.update(
            {
                "pg_cpu_s": round(pg_cpu, 3),
                "machine_busy_s": round(busy, 3),
                "machine_busy_span_s": round(busy_span, 3),
                "pg_cpu_ms_per_turn": 1000 * pg_cpu / turns if turns else float("nan"),
                "total_cpu_ms_per_turn": 1000 * ours / turns if turns else float("nan"),
                "turns_per_total_cpu_s": turns / ours if ours > 0 else float("nan"),
                "cores_used": ours / wall if wall else float("nan"),
                "machine_busy_cores": busy / busy_span,
                "other_cores": max(0.0, busy / busy_span - ours / wall) if wall else float("nan"),
                "pg_waits": waits,
                "pg_lock_wait_share": waits["lock_wait_share"],
                **_pg_per_turn(self.counters, after, turns),
            }
        )


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Database, population, two servers; the 1-process phase then the 2-process phase, `--rounds`
    times in turn. Returns one row per window (`round`, `processes`)."""
    windows = []
    names = ("server-a", "server-b")
    with populated_servers("postgres", args.customers, names) as (url, servers, ids):
        first, second = servers
        if args.pin:
            _pin(servers)
        window = _Window(url.rsplit("/", 1)[1], args.settle)
        customers = Customers(ids)
        with progress_bar() as progress:
            for n in range(args.rounds):
                for phase in ([first], [first, second]):
                    row = measure(
                        phase,
                        customers,
                        args.concurrency * len(phase),
                        seconds=args.seconds,
                        warmup_seconds=args.warmup,
                        progress=progress,
                        label=f"{len(phase)} process{'es' if len(phase) > 1 else ''}"
                        + (f", round {n + 1}" if args.rounds > 1 else ""),
                        before=window.begin,
                    )
                    row.pop("before")
                    window.end(row)
                    row["pinned"] = bool(args.pin)
                    row["round"] = n + 1
                    windows.append(row)
    return windows


def pooled(windows: Sequence[dict[str, Any]], processes: int) -> dict[str, Any]:
    """The windows of one phase as one row: sums of turns, seconds and CPU, figures recomputed from
    them; latency percentiles are the median of the windows' (their raw latencies are not kept)."""
    mine = [w for w in windows if w["processes"] == processes]
    turns = sum(w["turns"] for w in mine)
    wall = sum(w["seconds"] for w in mine)
    server, pg, client = (sum(w[k] for w in mine) for k in ("server_cpu_s", "pg_cpu_s", "client_cpu_s"))
    ours, busy = server + pg + client, sum(w["machine_busy_s"] for w in mine)
    busy_span = sum(w["machine_busy_span_s"] for w in mine)

    def per_turn(cpu: float) -> float:
        return 1000 * cpu / turns if turns else float("nan")

    def share(key: str) -> float:
        return float(statistics.median(w[key] for w in mine))

    counts: dict[str, int] = {}
    for w in mine:
        for event, count in w["pg_waits"]["counts"].items():
            counts[event] = counts.get(event, 0) + count
    active = sum(counts.values())
    waits = {event: count / active for event, count in counts.items()} if active else {}
    waiters: dict[str, int] = {}
    for w in mine:
        for query, count in w["pg_waits"]["lock_waiters"].items():
            waiters[query] = waiters.get(query, 0) + count
    return {
        "processes": processes,
        "windows": len(mine),
        "concurrency": mine[0]["concurrency"],
        "turns": turns,
        "seconds": round(wall, 3),
        "turns_per_s": turns / wall if wall else 0.0,
        "p50_ms": share("p50_ms"),
        "p99_ms": share("p99_ms"),
        "errors": sum(w["errors"] for w in mine),
        "error_kinds": [w["error_kinds"] for w in mine if w["errors"]],
        "server_cpu_s": round(server, 3),
        "server_cpu_ms_per_turn": per_turn(server),
        "turns_per_server_cpu_s": turns / server if server > 0 else float("nan"),
        "pg_cpu_ms_per_turn": per_turn(pg),
        "client_cpu_ms_per_turn": per_turn(client),
        "total_cpu_ms_per_turn": per_turn(ours),
        "turns_per_total_cpu_s": turns / ours if ours > 0 else float("nan"),
        "cores_used": ours / wall if wall else float("nan"),
        "other_cores": max(0.0, busy / busy_span - ours / wall) if wall and busy_span else float("nan"),
        "pg_sessions_per_turn": share("pg_sessions_per_turn"),
        "pg_xacts_per_turn": share("pg_xacts_per_turn"),
        "pg_active_ms_per_turn": share("pg_active_ms_per_turn"),
        "mean_active": share("mean_active"),
        "pg_waits": {"shares": dict(sorted(waits.items(), key=lambda kv: -kv[1])), "lock_waiters": waiters},
        "pg_lock_wait_share": sum(v for k, v in waits.items() if k.startswith("Lock:")),
        "loadavg_1m": share("loadavg_1m"),
    }


def _pin(servers: Sequence[Server]) -> None:
    cores = sorted(os.sched_getaffinity(0))
    for i, server in enumerate(servers):
        pin(server.pid, {cores[i % len(cores)]})


def _pg_per_turn(before: dict[str, float], after: dict[str, float], turns: int) -> dict[str, float]:
    """PostgreSQL's work per turn over the window: sessions opened, transactions, ms executing."""
    if not turns:
        return {"pg_sessions_per_turn": float("nan"), "pg_xacts_per_turn": float("nan"), "pg_active_ms_per_turn": 0.0}
    return {
        "pg_sessions_per_turn": (after["sessions"] - before["sessions"]) / turns,
        "pg_xacts_per_turn": (after["transactions"] - before["transactions"]) / turns,
        "pg_active_ms_per_turn": (after["active_ms"] - before["active_ms"]) / turns,
    }


def ratios_of(one: dict[str, Any], two: dict[str, Any], cores: int) -> dict[str, float]:
    """The 2 / 1 ratios and the ceiling the machine puts on the wall ratio (see the module docstring)."""
    tps1 = one["turns_per_s"]
    need = tps1 * two["total_cpu_ms_per_turn"] / 1000  # cores the 2-process phase needs per 1-process throughput
    cpu_ratio = two["turns_per_server_cpu_s"] / one["turns_per_server_cpu_s"]
    return {
        "throughput_ratio": two["turns_per_s"] / tps1 if tps1 else float("nan"),
        "cpu_normalized_ratio": cpu_ratio,
        "total_cpu_ratio": two["turns_per_total_cpu_s"] / one["turns_per_total_cpu_s"],
        "projected_ratio_core_per_process": 2 * cpu_ratio,
        "ceiling_ratio_idle_machine": cores / need if need > 0 else float("nan"),
        "ceiling_ratio_this_run": max(0.0, cores - two["other_cores"]) / need if need > 0 else float("nan"),
    }


def report(windows: list[dict[str, Any]], cores: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Print the markdown tables, the ratios and the verdict; return the pooled rows and the ratios."""
    rows = [pooled(windows, 1), pooled(windows, 2)]
    one, two = rows
    ratios: dict[str, Any] = dict(ratios_of(one, two, cores))
    rounds = sorted({w["round"] for w in windows})

    def window(n: int, processes: int) -> dict[str, Any]:
        return next(w for w in windows if w["round"] == n and w["processes"] == processes)

    per_round = [ratios_of(window(n, 1), window(n, 2), cores) for n in rounds]
    ratios["per_round"] = per_round
    table = rows_table(
        rows,
        [
            ("processes", "processes"),
            *LOAD_COLUMNS,
            ("PG CPU ms/turn", "pg_cpu_ms_per_turn"),
            ("client CPU ms/turn", "client_cpu_ms_per_turn"),
            ("cores used", "cores_used"),
            ("other work, cores", "other_cores"),
        ],
    )
    pg_table = rows_table(
        [{**r, "waits": _waits_cell(r["pg_waits"])} for r in rows],
        [
            ("processes", "processes"),
            ("PG sessions opened/turn", "pg_sessions_per_turn"),
            ("PG transactions/turn", "pg_xacts_per_turn"),
            ("PG active ms/turn", "pg_active_ms_per_turn"),
            ("active backends (mean)", "mean_active"),
            ("PG waits (share of active backends)", "waits"),
        ],
    )
    r = ratios
    lines = [
        "",
        pg_table,
        "",
        f"wall throughput 2 / 1 processes: {r['throughput_ratio']:.2f}× (budget ≥ {BUDGET_RATIO}×) "
        f"{verdict(r['throughput_ratio'] >= BUDGET_RATIO)}; the most {cores} cores allow at "
        f"{two['total_cpu_ms_per_turn']:.2f} ms of CPU per turn (server + PostgreSQL + client): "
        f"{r['ceiling_ratio_idle_machine']:.2f}× on an idle machine, {r['ceiling_ratio_this_run']:.2f}× "
        f"with the other work of this run ({two['other_cores']:.2f} cores)",
        _bound(r),
        f"CPU-normalized 2 / 1 (turns per server-CPU-second): {r['cpu_normalized_ratio']:.2f}; "
        f"with everything the turn costs (server + PostgreSQL + client): {r['total_cpu_ratio']:.2f} "
        f"(≈ 1.0: the processes do not contend; with a core per process: {r['projected_ratio_core_per_process']:.2f}×)",
        f"row-lock waits: {one['pg_lock_wait_share']:.1%} of active backends with 1 process, "
        f"{two['pg_lock_wait_share']:.1%} with 2",
        *(f"  waiting for a lock ({n} samples): {query}" for query, n in two["pg_waits"]["lock_waiters"].items()),
    ]
    if len(per_round) > 1:
        spread = {
            k: sorted(one_round[k] for one_round in per_round) for k in ("throughput_ratio", "cpu_normalized_ratio")
        }
        lines.append(
            f"{len(per_round)} rounds (1 then 2 processes, in turn), ratio of each round: wall "
            + ", ".join(f"{x:.2f}" for x in spread["throughput_ratio"])
            + "; CPU-normalized "
            + ", ".join(f"{x:.2f}" for x in spread["cpu_normalized_ratio"])
        )
    lines.extend(failed_requests(rows))
    print_markdown(table, lines)
    return rows, ratios


def _bound(ratios: dict[str, Any]) -> str:
    # With every core busy during the 2-process phase, the ceiling "with the other work" is what the
    # phase reached: the wall ratio then measures the machine, not Purser.
    if ratios["throughput_ratio"] >= 0.95 * ratios["ceiling_ratio_this_run"]:
        return "  → the 2-process phase used every core the other work left: the wall ratio is the machine's"
    return "  → cores were left idle in the 2-process phase: the wall ratio is below what the machine allowed"


def _waits_cell(waits: dict[str, Any]) -> str:
    shares = waits.get("shares", {})
    top = [f"{k} {v:.0%}" for k, v in list(shares.items())[:4] if v >= 0.01]
    return ", ".join(top) or "–"


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run both phases, print and save the results."""
    parser = bench_parser(__doc__, load=True)
    parser.add_argument("--concurrency", type=int, default=8, help="conversations in flight per process")
    parser.add_argument("--customers", type=int, default=300, help="generated customers")
    parser.add_argument("--settle", type=float, default=11.0, help="quiet seconds before reading PostgreSQL's counters")
    parser.add_argument("--pin", action="store_true", help="pin server process i to core i mod (cores)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the two phases this many times in turn and pool them (other work on a shared machine "
        "drifts: alternating spreads it over both phases)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        # 40 customers: the server's per-customer flood guard (20 new conversations, then one per 2 s)
        # stays far away even when one process answers both phases quickly.
        args.seconds, args.warmup, args.customers, args.concurrency, args.settle = 0.7, 0.2, 40, 2, 1.0
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    meta = run_header("Purser on PostgreSQL: 1 vs 2 purser serve processes, offline model")
    cores = len(os.sched_getaffinity(0))
    windows = run(args)
    for window in windows:
        window["mean_active"] = window["pg_waits"]["mean_active_backends"]
    rows, ratios = report(windows, cores)
    meta = {**meta, "cores": cores, "pinned": bool(args.pin), "rounds": args.rounds}
    write_json(args.json, {"meta": meta, "rows": rows, "ratios": ratios, "windows": windows})


if __name__ == "__main__":
    main()
