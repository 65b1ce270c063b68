"""The load client of the web benchmarks: widget-like conversations over HTTP (httpx, asyncio).

A conversation is `POST /api/conversations` then one to three customer turns, one at a time, as a
widget sends them. The mix (weights of `MIX`):

- account question: "what plan am I on and when is my next invoice?", then a thank-you;
- refund: "I was charged twice", the quote (a confirmation request), then the "yes" button (the
  refund executes); each customer is asked once while the population lasts;
- plan change: "how much to switch to Business?", the exact quote, then "I'll stay on Pro";
- small talk: a greeting and a goodbye.

Every conversation comes from its own visitor address (`X-Forwarded-For`, trusted from 127.0.0.1
by uvicorn), as real widget traffic does, so the server's per-address flood guard applies per
visitor and is measured, not tripped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from _harness import console, percentile
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

MIX: dict[str, tuple[int, tuple[str, ...]]] = {
    "account": (30, ("What plan am I on and when is my next invoice?", "Thanks, that's all")),
    "refund": (20, ("I was charged twice this month, can I get a refund?",)),
    "plan": (25, ("How much would it cost to switch to the Business plan?", "OK, I'll stay on Pro for now, thanks")),
    "smalltalk": (25, ("Hi there!", "Thanks, have a nice day")),
}


@dataclass
class Recorder:
    """What the measured conversations did."""

    latencies_ms: list[float] = field(default_factory=list)
    conversations: int = 0
    refunds: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        """Answered customer turns (messages and confirmations)."""
        return len(self.latencies_ms)

    def error(self, what: str) -> None:
        """Count one failed request by kind (status code or exception name)."""
        self.errors[what] = self.errors.get(what, 0) + 1


class Customers:
    """Who the next conversation is for: refunds walk the population once (a duplicate left to refund),
    the other kinds go round the population."""

    def __init__(self, ids: Sequence[str], seed: int = 13) -> None:
        self.ids = list(ids)
        self._random = random.Random(seed)
        self._fresh = iter(self.ids)
        # Round robin, not random: the server allows each customer a steady rate of new conversations
        # (a flood guard), so an even spread keeps every customer inside it at the rates measured.
        self._cycle = itertools.cycle(self.ids)
        self._addresses = itertools.count(1)

    def pick(self, kind: str) -> str:
        """A customer id for a conversation of `kind`."""
        if kind == "refund":
            fresh = next(self._fresh, None)
            if fresh is not None:
                return fresh
        return next(self._cycle)

    def kind(self) -> str:
        """The next conversation's kind, drawn from `MIX`'s weights."""
        kinds = list(MIX)
        return self._random.choices(kinds, weights=[MIX[k][0] for k in kinds])[0]

    def second_turn(self) -> bool:
        """Whether a conversation of the memory run gets its second message (half of them do)."""
        return self._random.random() < 0.5

    def address(self) -> str:
        """A new visitor address (10.x.y.z)."""
        n = next(self._addresses)
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def conversation(
    client: httpx.AsyncClient, customers: Customers, rec: Recorder | None, *, max_messages: int = 3
) -> None:
    """One widget conversation of a kind drawn from the mix; `rec` None = warm-up (not recorded)."""
    kind = customers.kind()
    headers = {"X-Forwarded-For": customers.address()}
    try:
        response = await client.post(
            "/api/conversations", json={"customer_id": customers.pick(kind), "channel": "web"}, headers=headers
        )
    except httpx.HTTPError as exc:
        if rec is not None:
            rec.error(f"create {type(exc).__name__}")
        return
    if response.status_code != 200:
        if rec is not None:
            rec.error(f"create {response.status_code}")
        return
    cid = response.json()["id"]
    if rec is not None:
        rec.conversations += 1
    for text in MIX[kind][1][:max_messages]:
        events = await turn(client, cid, {"type": "message", "text": text}, headers, rec)
        for event in events:
            if event.get("type") == "confirmation_request":
                decision = "yes" if event.get("action") == "refund" else "no"
                answer = {"type": "confirm", "action_id": event["action_id"], "decision": decision}
                result = await turn(client, cid, answer, headers, rec)
                if rec is not None and any(
                    e.get("type") == "action_result" and e.get("status") == "succeeded" for e in result
                ):
                    rec.refunds += 1


async def turn(
    client: httpx.AsyncClient, cid: str, event: dict[str, Any], headers: dict[str, str], rec: Recorder | None
) -> list[dict[str, Any]]:
    """One customer turn; its latency (ms) goes to `rec` when it succeeds."""
    started = time.perf_counter()
    try:
        response = await client.post(f"/api/conversations/{cid}/events", json=event, headers=headers)
    except httpx.HTTPError as exc:
        if rec is not None:
            rec.error(type(exc).__name__)
        return []
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        if rec is not None:
            rec.error(str(response.status_code))
        return []
    if rec is not None:
        rec.latencies_ms.append(elapsed)
    return list(response.json()["events"])


def clients(bases: Sequence[str], concurrency: int) -> list[httpx.AsyncClient]:
    """One keep-alive client per server, sized for the workers that use it."""
    per = max(1, -(-concurrency // len(bases)))
    limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
    return [httpx.AsyncClient(base_url=b, timeout=120, limits=limits) for b in bases]


async def drive(
    bases: Sequence[str],
    customers: Customers,
    concurrency: int,
    *,
    seconds: float | None = None,
    conversations: int | None = None,
    rec: Recorder | None = None,
    max_messages: int = 3,
    tick: Callable[[], None] | None = None,
) -> float:
    """Run `concurrency` workers (worker i on server i mod n) until `seconds` pass or `conversations` are
    done; each worker finishes the conversation it is in. Returns the elapsed wall seconds."""
    pool = clients(bases, concurrency)
    started = time.perf_counter()
    deadline = started + seconds if seconds is not None else None
    budget = itertools.count()

    async def worker(n: int) -> None:
        client = pool[n % len(pool)]
        while True:
            if deadline is not None and time.perf_counter() >= deadline:
                return
            if conversations is not None and next(budget) >= conversations:
                return
            messages = max_messages if max_messages > 0 else (2 if customers.second_turn() else 1)
            await conversation(client, customers, rec, max_messages=messages)
            if tick is not None:
                tick()

    try:
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    finally:
        for client in pool:
            await client.aclose()
    return time.perf_counter() - started


class Measured(Protocol):
    """A server the measurement reads: its URL and its own CPU so far."""

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        ...

    def cpu_seconds(self) -> float:
        """CPU seconds of the server's processes so far."""
        ...


def measure(
    servers: Sequence[Measured],
    customers: Customers,
    concurrency: int,
    *,
    seconds: float,
    warmup_seconds: float,
    progress: Progress | None = None,
    label: str = "",
    before: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Warm up, then drive `servers` for `seconds` at `concurrency`; the figures of the measured window.

    Server CPU is the sum over `servers` of their process trees' CPU between the window's start and
    end (all requests of the window are answered before it ends; warm-up is outside it). Client CPU
    is this process's own (`time.process_time`)."""
    bases = [s.base_url for s in servers]
    if warmup_seconds > 0:
        asyncio.run(drive(bases, customers, concurrency, seconds=warmup_seconds))
    before_result = before() if before is not None else None
    rec = Recorder()
    task = progress.add_task(label, total=seconds, turns=0) if progress is not None else None
    started = time.perf_counter()

    def tick() -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=min(seconds, time.perf_counter() - started), turns=rec.turns)

    server0 = sum(s.cpu_seconds() for s in servers)
    client0 = time.process_time()
    elapsed = asyncio.run(drive(bases, customers, concurrency, seconds=seconds, rec=rec, tick=tick))
    client_cpu = time.process_time() - client0
    server_cpu = sum(s.cpu_seconds() for s in servers) - server0
    if progress is not None and task is not None:
        progress.update(task, completed=seconds, turns=rec.turns)
    turns = rec.turns
    return {
        "concurrency": concurrency,
        "processes": len(servers),
        "seconds": round(elapsed, 3),
        "conversations": rec.conversations,
        "turns": turns,
        "refunds_executed": rec.refunds,
        "turns_per_s": turns / elapsed if elapsed else 0.0,
        "p50_ms": percentile(rec.latencies_ms, 50),
        "p99_ms": percentile(rec.latencies_ms, 99),
        "errors": sum(rec.errors.values()),
        "error_kinds": rec.errors,
        "server_cpu_s": round(server_cpu, 3),
        "server_cpu_ms_per_turn": 1000 * server_cpu / turns if turns else float("nan"),
        "turns_per_server_cpu_s": turns / server_cpu if server_cpu > 0 else float("nan"),
        "client_cpu_s": round(client_cpu, 3),
        "client_cpu_ms_per_turn": 1000 * client_cpu / turns if turns else float("nan"),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "before": before_result,
    }


def progress_bar() -> Progress:
    """A rich progress bar for timed load phases (shows answered turns)."""
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed:>5.1f}/{task.total:g} s"),
        TextColumn("{task.fields[turns]} turns", style="cyan"),
        TimeElapsedColumn(),
        console=console,
    )
