"""Shared parts of the benchmark scripts: the run header, process CPU and memory, databases, servers.

Every script measures the real thing: `purser` runs as a subprocess (the installed console script),
on a fresh database in a temporary directory, with the offline model and no inherited `PURSER_*`
settings. Server CPU is read from the server process itself (`/proc/<pid>/stat`, the process and
all its descendants), never inferred from wall time: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _speed import CALIBRATION_NOTE, SpeedProbe, calibrate, describe_probe
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PG_ADMIN = os.environ.get("PURSER_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres dbname=test")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
CLK_TCK = os.sysconf("SC_CLK_TCK")
DEMO_CUSTOMERS = ("cus_ana", "cus_acme", "cus_north", "cus_yves", "cus_kenji", "cus_dev", "cus_lena", "cus_cleo")
# Refunds of many quoted duplicates in one run would reach the default daily budget and become
# approval requests; the benchmark measures the executed path, so its budget is out of reach.
BENCH_POLICY: dict[str, Any] = {"refunds": {"daily_budget": "1000000.00"}}

console = Console(width=120)


# -- the run header --------------------------------------------------------------------------------
def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_header(title: str) -> dict[str, Any]:
    """Print the date, the exact command, the machine and its load; return the same as a dict for JSON.

    From here on SIGTERM ends the run as Ctrl-C does: the servers it started are stopped and its
    databases dropped (by default a terminated script left its `purser serve` processes running)."""
    signal.signal(signal.SIGTERM, _terminated)
    load = os.getloadavg()
    meta: dict[str, Any] = {
        "title": title,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": shlex.join(_relative_argv()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()}",
        "loadavg": [round(x, 2) for x in load],
        "purser_from": _purser_source(),
    }
    # The checkout's commit describes the code measured only when purser runs from this checkout.
    meta["commit"] = _git_commit() if meta["purser_from"] == "src/" else "see purser_from"
    console.rule(f"[bold]{title}")
    console.print(
        f"date      {meta['date']}   commit {meta['commit']}   purser from {meta['purser_from']}", highlight=False
    )
    console.print(f"command   {meta['command']}", highlight=False, soft_wrap=True)
    console.print(
        f"machine   {meta['cpus']} CPUs, {meta['platform']}, Python {meta['python']}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        highlight=False,
    )
    meta["calibration_ms"] = calibrate()
    console.print(f"host      calibration {meta['calibration_ms']:.1f} ms CPU ({CALIBRATION_NOTE})", highlight=False)
    _PROBE.start()  # the same work every 2 s until write_json: the host's speed during the run
    return meta


_PROBE = SpeedProbe()


def _relative_argv() -> list[str]:
    argv = list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    out = []
    for arg in argv:
        try:
            out.append(str(Path(arg).resolve().relative_to(ROOT)) if "/" in arg else arg)
        except ValueError:
            out.append(arg)
    return out


def _purser_source() -> str:
    # PYTHONPATH reaches the `purser` subprocesses (clean_env keeps it): another checkout can be measured.
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and (Path(entry) / "purser" / "__init__.py").exists():
            return entry
    return "src/"


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


# -- processes: CPU and memory from /proc ---------------------------------------------------------
def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # fields from `state` on (the name may hold spaces)


def process_tree(pid: int) -> list[int]:
    """`pid` and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its descendants, including children they already reaped."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            f = _stat_fields(member)
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])  # utime stime cutime cstime
    return total / CLK_TCK


def rss_kib(pid: int) -> int:
    """Resident memory (VmRSS, KiB) of `pid` and its descendants."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def postgres_stats(database: str) -> dict[str, float]:
    """PostgreSQL's cumulative counters for `database` (pg_stat_database, read from the maintenance
    database so the reading session is not counted): sessions opened, transactions, and the
    milliseconds its backends spent executing statements (lock waits included).

    Backends publish their counters at most once a second, and an idle one up to 10 s later, so read
    after `settle` seconds of quiet (see `web_processes.py`)."""
    import psycopg

    query = "SELECT sessions, xact_commit + xact_rollback, active_time FROM pg_stat_database WHERE datname = %s"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        row = conn.execute(query, (database,)).fetchone()
    if row is None:
        raise RuntimeError(f"no statistics for database {database!r}")
    return {"sessions": float(row[0]), "transactions": float(row[1]), "active_ms": float(row[2])}


def postgres_backends(database: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to `database` (read from the maintenance database)."""
    import psycopg

    query = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return [int(row[0]) for row in conn.execute(query, (database,)).fetchall()]


def process_cpu(pids: Sequence[int]) -> dict[int, float]:
    """User + system CPU seconds of each live process of `pids` (gone ones are left out)."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            f = _stat_fields(pid)
            out[pid] = (int(f[11]) + int(f[12])) / CLK_TCK
    return out


@dataclass
class PostgresCpu:
    """CPU of one database's PostgreSQL backends over a window, read from /proc (the backends are
    processes of the same machine): `start()` before, `stop()` after.

    A backend that exits inside the window takes its CPU with it, so the figure is a floor; the
    connection pools keep their connections (`PG sessions opened/turn` ≈ 0 says nothing was lost)."""

    database: str
    _start: dict[int, float] | None = None

    def start(self) -> None:
        """Read every backend's CPU so far."""
        self._start = process_cpu(postgres_backends(self.database))

    def stop(self) -> float:
        """CPU seconds the backends spent since `start()` (new backends count from zero)."""
        if self._start is None:
            raise RuntimeError("PostgresCpu.stop() before start()")
        now = process_cpu(postgres_backends(self.database))
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in now.items())


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine have been busy since boot (/proc/stat: everything but idle
    and iowait), whoever used them."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields[:8]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK


class WaitSampler:
    """Samples what one database's active PostgreSQL backends are doing, every `interval` seconds, on
    a thread of its own (pg_stat_activity, read from the maintenance database).

    An active backend with no wait event is running on a CPU; `Lock:*` waits are row or transaction
    locks (two transactions wanting the same row); `LWLock:*` are PostgreSQL's internal locks;
    `IO:WALSync` / `IO:WALWrite` is a commit waiting for the disk; `Client:ClientRead` never shows
    here (an idle backend is not active)."""

    QUERY = (
        "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), "
        "CASE WHEN wait_event_type = 'Lock' THEN left(regexp_replace(query, '\\s+', ' ', 'g'), 90) END "
        "FROM pg_stat_activity WHERE datname = %s AND state = 'active' AND backend_type = 'client backend'"
    )

    def __init__(self, database: str, interval: float = 0.05) -> None:
        import threading

        self.database = database
        self.interval = interval
        self.samples = 0
        self.events: dict[str, int] = {}
        self.lock_waiters: dict[str, int] = {}
        """The statements found waiting for a lock (their first 90 characters), with how often."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-wait-sampler", daemon=True)

    def start(self) -> None:
        """Begin sampling."""
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        """Stop; the summary: samples taken, mean active backends, and each wait's share of them."""
        self._stop.set()
        self._thread.join(10)
        active = sum(self.events.values())
        return {
            "samples": self.samples,
            "mean_active_backends": active / self.samples if self.samples else float("nan"),
            "shares": {k: v / active for k, v in sorted(self.events.items(), key=lambda kv: -kv[1])} if active else {},
            "lock_wait_share": sum(v for k, v in self.events.items() if k.startswith("Lock:")) / active
            if active
            else 0.0,
            "lock_waiters": dict(sorted(self.lock_waiters.items(), key=lambda kv: -kv[1])[:5]),
            "counts": dict(self.events),
        }

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            while not self._stop.is_set():
                for event, waiting in conn.execute(self.QUERY, (self.database,)).fetchall():
                    self.events[event] = self.events.get(event, 0) + 1
                    if waiting:
                        self.lock_waiters[waiting] = self.lock_waiters.get(waiting, 0) + 1
                self.samples += 1
                self._stop.wait(self.interval)


def pin(pid: int, cpus: set[int]) -> None:
    """Pin every thread of process `pid` (and of its descendants) to `cpus` (`taskset -a -p`)."""
    for member in process_tree(pid):
        for task in Path(f"/proc/{member}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                os.sched_setaffinity(int(task.name), cpus)


# -- the purser command ---------------------------------------------------------------------------
def purser_command() -> list[str]:
    """The installed `purser` console script next to this interpreter (else `python -m purser.cli`)."""
    script = Path(sys.executable).parent / "purser"
    return [str(script)] if script.exists() else [sys.executable, "-m", "purser.cli"]


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without any inherited Purser or Stripe setting, plus `settings` (PURSER_ names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PURSER_", "STRIPE_"))}
    env["PURSER_MODEL"] = "offline"
    env.update(settings)
    return env


def run_purser(args: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> None:
    """Run one `purser` command to completion; raise with its output when it fails."""
    done = subprocess.run([*purser_command(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"purser {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def write_config(workdir: Path, database_url: str) -> Path:
    """A purser.yaml in `workdir`: the database and the benchmark policy (a daily refund budget out of reach)."""
    import yaml

    path = workdir / "purser.yaml"
    path.write_text(yaml.safe_dump({"database_url": database_url, "policy": BENCH_POLICY}), encoding="utf-8")
    return path


def write_population(path: Path, customers: int) -> list[str]:
    """A scenario file with `customers` customers on a monthly Pro plan, each charged twice this month."""
    lines = [
        'now: "2026-11-16T00:00:00Z"',
        "world:",
        "  currency: usd",
        "  plans:",
        '    - {id: pro-monthly, name: Pro, amount: "20.00", interval: month}',
        '    - {id: business-monthly, name: Business, amount: "50.00", interval: month}',
        '    - {id: basic-monthly, name: Basic, amount: "10.00", interval: month}',
        "  customers:",
    ]
    ids = []
    for n in range(customers):
        cid = f"cus_b{n:05d}"
        ids.append(cid)
        lines += [
            f"    - id: {cid}",
            f"      name: Robin Tester{n}",
            f"      email: robin{n}@example.com",
            '      address: {line1: "1 Main Street", city: Springfield, postal_code: "62701", country: US}',
            "      payment_methods:",
            f'        - {{id: pm_b{n}, brand: visa, last4: "4242", exp: "2029-04", default: yes}}',
            "      subscription:",
            f'        {{id: sub_b{n}, plan: pro-monthly, status: active, created: "2026-08-01T00:00:00Z", '
            'current_period_start: "2026-11-01T00:00:00Z"}',
            "      invoices:",
            f'        - {{id: in_b{n}, number: B{n}-0001, created: "2026-11-01T00:00:00Z", amount: "20.00", '
            "status: paid}",
            "      charges:",
            f'        - {{id: ch_b{n}_1, invoice: in_b{n}, amount: "20.00", created: "2026-11-01T00:00:05Z"}}',
            f'        - {{id: ch_b{n}_2, invoice: in_b{n}, amount: "20.00", created: "2026-11-01T00:02:10Z"}}',
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def prepare_database(workdir: Path, database_url: str, customers: int) -> list[str]:
    """Write the config, migrate and fill the sandbox through the CLI; return the customer ids.

    `customers` 0 loads the demo world (`purser sandbox seed`), else a generated population."""
    config = write_config(workdir, database_url)
    env = clean_env()
    if customers <= 0:
        run_purser(["sandbox", "seed", "--config", str(config)], cwd=workdir, env=env)
        return list(DEMO_CUSTOMERS)
    ids = write_population(workdir / "population.yaml", customers)
    run_purser(["sandbox", "load", str(workdir / "population.yaml"), "--config", str(config)], cwd=workdir, env=env)
    return ids


@contextlib.contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in `workdir`, or a new PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r}: expected sqlite or postgres")
    import psycopg

    name = f"purser_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def populated_servers(
    backend: str,
    customers: int,
    names: Sequence[str] = ("server",),
    label: str = "",
    *,
    under: Sequence[str] = (),
    timeout: float = 180,
) -> Iterator[tuple[str, list[Server], list[str]]]:
    """A fresh database loaded with `customers` (0 = the demo seed) and one `purser serve` per name.

    Yields the database URL, the running servers and the customer ids; everything is stopped and
    dropped afterwards. `label` prefixes the status lines (e.g. the backend's name); `under` and
    `timeout` go to `serve` (a server under valgrind starts slowly).
    """
    prefix = f"{label}: " if label else ""
    with tempfile.TemporaryDirectory(prefix="purser-bench-") as tmp, database(backend, Path(tmp)) as url:
        workdir = Path(tmp)
        with console.status(f"{prefix}loading {customers or 'the demo'} customers through the CLI…"):
            ids = prepare_database(workdir, url, customers)
        with contextlib.ExitStack() as stack:
            with console.status(f"{prefix}starting {len(names)} purser serve process(es)…"):
                servers = [stack.enter_context(serve(workdir, name, timeout, under=under)) for name in names]
            yield url, servers, ids


# -- servers --------------------------------------------------------------------------------------
@dataclass
class Server:
    """One running `purser serve` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU of the server process and its descendants so far."""
        return tree_cpu_seconds(self.pid)


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(workdir: Path, name: str = "server", timeout: float = 180, *, under: Sequence[str] = ()) -> Iterator[Server]:
    """`purser serve` on a free port with `workdir`'s purser.yaml; waits for /api/health; stops it after.

    `under`: a command the server runs under (e.g. valgrind), which then gets the interpreter itself."""
    port = free_port()
    log = workdir / f"{name}.log"
    command = [*under, sys.executable, "-m", "purser.cli"] if under else purser_command()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--config", str(workdir / "purser.yaml")],
            cwd=workdir,
            env=clean_env(PURSER_ADMIN_TOKEN="bench"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        _stop(process)
        _show_errors(log)


def _show_errors(log: Path) -> None:
    # The log lives in a temporary directory that is about to go: a failure must be readable now.
    text = log.read_text(errors="replace")
    at = text.find("Traceback")
    if at < 0:
        return
    lines = text[at:].splitlines()
    end = next((i for i, line in enumerate(lines[1:], 1) if line and not line[0].isspace()), len(lines) - 1)
    console.print(f"[red]{log.name} logged errors ({text.count('Traceback')} tracebacks); the end of the first:[/]")
    console.print("\n".join(lines[max(0, end - 12) : end + 1]), highlight=False, markup=False, soft_wrap=True)


def _wait_healthy(server: Server, timeout: float) -> None:
    # http.client, not httpx: a new httpx client per poll builds an SSL context, tens of ms of CPU each.
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"purser serve exited ({server.process.returncode}):\n{server.log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"purser serve did not answer within {timeout:.0f} s:\n{server.log.read_text()[-3000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # what Ctrl-C does: uvicorn shuts down cleanly
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# -- figures and output ---------------------------------------------------------------------------
def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median (NaN for no values)."""
    return statistics.median(values) if values else float("nan")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table (numbers right-aligned)."""
    align = ["---:" if rows and isinstance(rows[0][i], int | float) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


LOAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("concurrency", "concurrency"),
    ("turns", "turns"),
    ("turns/s", "turns_per_s"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
    ("errors", "errors"),
    ("server CPU ms/turn", "server_cpu_ms_per_turn"),
    ("turns per server-CPU-s", "turns_per_server_cpu_s"),
)
"""The columns of a load run's row (`_load.measure`), as (header, key)."""


def rows_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """A markdown table of `rows`, one column per (header, key) of `columns`."""
    return markdown_table([header for header, _ in columns], [[r[key] for _, key in columns] for r in rows])


def print_markdown(table: str, budget_lines: Sequence[str] = ()) -> None:
    """Print the table (ready to paste) and the budget verdicts."""
    console.print()
    console.print(table, highlight=False, soft_wrap=True)
    for line in budget_lines:
        console.print(line, highlight=False, soft_wrap=True)


def write_json(path: str | None, data: dict[str, Any]) -> None:
    """Write the raw results to `path` (nothing when None)."""
    meta = data.get("meta")
    if isinstance(meta, dict) and "calibration_ms" in meta:
        meta["calibration_ms_end"] = calibrate()
        meta["calibration_during"] = during = _PROBE.stop()
        console.print(
            f"host speed at the end: calibration {meta['calibration_ms_end']:.1f} ms CPU "
            f"(at the start {meta['calibration_ms']:.1f}){describe_probe(during)}",
            highlight=False,
        )
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"raw results: {path}", highlight=False)


def verdict(ok: bool) -> str:
    """A short pass/fail word."""
    return "[green]met[/]" if ok else "[red]NOT met[/]"


def bench_parser(doc: str | None, *, load: bool = False) -> argparse.ArgumentParser:
    """The command line every benchmark shares: `--quick` (smoke size) and `--json FILE`.

    `load`: also `--seconds` and `--warmup`, the measured and unmeasured windows of a load run.
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if load:
        parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per window")
        parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each window")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--json", metavar="FILE", help="write the raw results here")
    return parser


def failed_requests(rows: Sequence[dict[str, Any]], label: str = "") -> list[str]:
    """A red line naming the failed requests of `rows` and their kinds; none when every request succeeded."""
    errors = sum(r["errors"] for r in rows)
    if not errors:
        return []
    prefix = f"{label}: " if label else ""
    return [f"{prefix}[red]{errors} failed requests[/]: {[r['error_kinds'] for r in rows]}"]
