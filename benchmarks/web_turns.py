"""Web throughput: sustained customer turns per second and reply latency for one server process.

    .venv/bin/python benchmarks/web_turns.py                          # SQLite file + local PostgreSQL
    .venv/bin/python benchmarks/web_turns.py --backends sqlite --concurrency 4 --seconds 20

For each backend: a fresh database (a temporary SQLite file; a throw-away PostgreSQL
database `purser_bench_<random>` on 127.0.0.1, dropped afterwards) with the demo world
seeded, one `purser serve`-equivalent uvicorn process (offline model, rate limits raised
so the load is measured, not throttled) on 127.0.0.1, and a bounded concurrent load client
(httpx): `--concurrency` workers, each running scripted conversations (a look-up question,
a duplicate-charge question, a decline of the offered refund, a plan question) one turn at
a time, as a widget does. A short warm-up is not measured. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
CUSTOMERS = ["cus_ana", "cus_acme", "cus_north", "cus_yves", "cus_kenji", "cus_dev"]
SCRIPT = [
    "What plan am I on and when is my next invoice?",
    "I think I was charged twice this month",
    "What does the Business plan cost?",
    "Thanks, that's all",
]
console = Console(width=130)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, ready: Any) -> None:
    """Child process: build, seed, serve (one uvicorn worker)."""
    import logging

    import uvicorn

    from purser.app import build
    from purser.config import Settings
    from purser.web.app import WebOptions, create_app
    from purser.web.limits import Rate
    from purser.worlds.seed import seed

    logging.disable(logging.WARNING)
    container = build(Settings(database_url=url, admin_token="bench"))
    seed(container.processor)
    unlimited = Rate(burst=1e9, per_second=1e9)
    app = create_app(container, WebOptions(ip_rate=unlimited, conversation_rate=unlimited, create_rate=unlimited))
    ready.set()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


@dataclass
class Stats:
    """Latencies of answered turns and errors."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def _conversation(client: httpx.AsyncClient, customer: str, stats: Stats | None) -> None:
    response = await client.post("/api/conversations", json={"customer_id": customer, "channel": "web"})
    if response.status_code != 200:
        if stats:
            stats.error(f"create {response.status_code}")
        return
    cid = response.json()["id"]
    for text in SCRIPT:
        events = await _turn(client, cid, {"type": "message", "text": text}, stats)
        for event in events:
            if event.get("type") == "confirmation_request":  # decline: keeps the world steady under load
                await _turn(client, cid, {"type": "confirm", "action_id": event["action_id"], "decision": "no"}, stats)


async def _turn(
    client: httpx.AsyncClient, cid: str, event: dict[str, Any], stats: Stats | None
) -> list[dict[str, Any]]:
    started = time.perf_counter()
    try:
        response = await client.post(f"/api/conversations/{cid}/events", json=event)
    except httpx.HTTPError as exc:
        if stats:
            stats.error(type(exc).__name__)
        return []
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        if stats:
            stats.error(str(response.status_code))
        return []
    if stats:
        stats.latencies_ms.append(elapsed)
    return list(response.json()["events"])


async def _reads(base: str, concurrency: int, seconds: float) -> tuple[Stats, float]:
    """Transcript reads (`GET /api/conversations/{id}`): the web layer and store without the model."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        cid = (await client.post("/api/conversations", json={"customer_id": "cus_ana"})).json()["id"]
        await _turn(client, cid, {"type": "message", "text": SCRIPT[0]}, None)
        stats = Stats()
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await client.get(f"/api/conversations/{cid}")
                if response.status_code == 200:
                    stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    stats.error(str(response.status_code))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return stats, time.perf_counter() - started


async def _load(base: str, concurrency: int, seconds: float, warmup: int) -> tuple[Stats, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        for n in range(warmup):
            await _conversation(client, CUSTOMERS[n % len(CUSTOMERS)], None)
        stats = Stats()
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def worker(n: int) -> None:
            i = n
            while time.perf_counter() < deadline:
                await _conversation(client, CUSTOMERS[i % len(CUSTOMERS)], stats)
                i += concurrency

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        return stats, time.perf_counter() - started


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), -(-pct * len(ordered) // 100)))
    return ordered[rank - 1]


def run_backend(name: str, url: str, concurrency: int, seconds: float, warmup: int) -> list[dict[str, Any]]:
    """Start a server on `url`, drive it, stop it."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    port = _free_port()
    proc = ctx.Process(target=_serve, args=(url, port, ready), daemon=True)
    proc.start()
    try:
        if not ready.wait(180):
            raise RuntimeError(f"{name}: the server did not start")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/health", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        stats, elapsed = asyncio.run(_load(base, concurrency, seconds, warmup))
        read_stats, read_elapsed = asyncio.run(_reads(base, concurrency, min(seconds, 10.0)))
    finally:
        proc.terminate()
        proc.join(10)
    return [
        _row(name, "customer turns", concurrency, stats, elapsed),
        _row(name, "transcript reads", concurrency, read_stats, read_elapsed),
    ]


def _row(name: str, what: str, concurrency: int, stats: Stats, elapsed: float) -> dict[str, Any]:
    lat = stats.latencies_ms
    return {
        "backend": name,
        "what": what,
        "concurrency": concurrency,
        "turns": len(lat),
        "seconds": elapsed,
        "turns_per_s": len(lat) / elapsed if elapsed else 0.0,
        "p50": _pct(lat, 50),
        "p99": _pct(lat, 99),
        "errors": sum(stats.errors.values()),
        "error_kinds": stats.errors,
    }


def _pg_database() -> tuple[str, str]:
    import psycopg

    name = f"purser_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Parse arguments, run each backend, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent conversations (bounded)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured duration per backend")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured conversations first")
    args = parser.parse_args()
    rows = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        console.print(f"[bold]{backend}[/]: {args.concurrency} concurrent conversations for {args.seconds:.0f} s…")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                rows.extend(run_backend("SQLite (file)", url, args.concurrency, args.seconds, args.warmup))
        elif backend == "postgres":
            name, url = _pg_database()
            try:
                rows.extend(run_backend("PostgreSQL", url, args.concurrency, args.seconds, args.warmup))
            finally:
                _drop_pg(name)
        else:
            parser.error(f"unknown backend {backend!r}")
    table = Table(title=f"Purser web turns — one uvicorn process, offline model ({platform.processor() or 'cpu'})")
    for col in ("backend", "requests", "concurrency", "count", "per second", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="left" if col in ("backend", "requests") else "right")
    for r in rows:
        table.add_row(
            r["backend"],
            r["what"],
            str(r["concurrency"]),
            str(r["turns"]),
            str(Decimal(str(r["turns_per_s"])).quantize(Decimal("0.1"))),
            f"{r['p50']:.0f}",
            f"{r['p99']:.0f}",
            str(r["errors"]) + (f" {r['error_kinds']}" if r["errors"] else ""),
        )
    console.print(table)


if __name__ == "__main__":
    main()
