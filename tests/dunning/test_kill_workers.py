"""Issue 15's "done when" on Redis: two real `purser worker` processes run the dunning cadence while a
loop SIGKILLs one of them; afterwards every customer got each outreach exactly once (one Message-ID per
step), every step is recorded once, and no job is dead.

The full run is 200 failing customers (`PURSER_DUNNING_KILL_CUSTOMERS=200`); by default 20, to keep the
suite's time reasonable on a shared machine. A message re-sent after a kill between the SMTP server's
acceptance and our commit carries the SAME Message-ID (receivers dedupe by it; the count is printed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from purser.app import Container, build
from purser.config import JobsSettings, Settings
from purser.dunning.jobs import TICK_KIND
from purser.processors.sandbox import SandboxProcessor
from purser.store.dunning_tables import dn_steps
from purser.testing.dunning import PRO, add_failing_customer
from purser.testing.smtp import SmtpSink

REDIS_URL = "redis://127.0.0.1:6379/0"
CUSTOMERS = int(os.environ.get("PURSER_DUNNING_KILL_CUSTOMERS", "20"))
# The default cadence's outreach days, and a moment on each (the steps before it are due by then).
PHASES = (("2026-12-01T16:00", 1), ("2026-12-04T16:00", 2), ("2026-12-08T16:00", 3))


class Workers:
    """`purser worker` processes with the test's environment, output in files."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        log = (self.cwd / f"worker-{len(self.procs) + 1}.log").open("wb")
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "purser.cli", "worker"], env=self.env, cwd=self.cwd, stdout=log, stderr=log
            )
        )
        log.close()

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def kill_all(self) -> None:
        for proc in self.alive():
            proc.kill()
            proc.wait()


@pytest.fixture
def queue_name() -> Iterator[str]:
    name = f"purser-dunning-{uuid.uuid4().hex[:8]}"
    yield name
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"huey*{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _seed(sandbox: SandboxProcessor) -> None:
    with sandbox.bulk_import() as imp:
        imp.create_plan(PRO)
        for n in range(CUSTOMERS):
            add_failing_customer(imp, f"cus_{n:04d}", country="GB")
        imp.set_clock(datetime(2026, 11, 30, tzinfo=UTC))


def _notified(container: Container) -> int:
    with container.db.read() as conn:
        return int(
            conn.execute(select(func.count()).select_from(dn_steps).where(dn_steps.c.action == "notify")).scalar_one()
        )


def _sent(container: Container) -> int:
    assert container.outbox is not None
    return sum(
        1 for e in container.outbox.entries(limit=CUSTOMERS * 10) if e.status == "sent" and e.email.kind == "dunning"
    )


def test_every_step_is_sent_exactly_once_while_workers_are_killed(pg_url: str, tmp_path: Path, queue_name: str) -> None:
    with SmtpSink(delay_milliseconds=20) as sink:
        jobs = JobsSettings(name=queue_name, lease_seconds=3, sweep_seconds=1, workers=2)
        secrets = {"public_url": "https://billing.example.test", "link_secret": "kill-test-secret"}
        container = build(Settings(database_url=pg_url, redis_url=REDIS_URL, smtp_url=sink.url, jobs=jobs, **secrets))
        sandbox = container.processor
        assert isinstance(sandbox, SandboxProcessor) and container.jobs is not None
        _seed(sandbox)
        env = {
            **os.environ,
            "PURSER_DATABASE_URL": pg_url,
            "PURSER_REDIS_URL": REDIS_URL,
            "PURSER_SMTP_URL": sink.url,
            "PURSER_PUBLIC_URL": secrets["public_url"],
            "PURSER_LINK_SECRET": secrets["link_secret"],
            "PURSER_JOBS__NAME": queue_name,
            "PURSER_JOBS__LEASE_SECONDS": "3",
            "PURSER_JOBS__SWEEP_SECONDS": "1",
            "PURSER_JOBS__WORKERS": "2",
        }
        workers = Workers(env, tmp_path)
        rng = random.Random(15)
        kills = 0
        try:
            workers.start()
            workers.start()
            for when, expected in PHASES:
                sandbox.advance_clock(datetime.fromisoformat(when).replace(tzinfo=UTC))
                # A tick now (what the 5-minute periodic tick does), under its own slot key.
                slot = f"{TICK_KIND}:{datetime.fromisoformat(when):%Y%m%dT%H%M%S}"
                container.jobs.enqueue(TICK_KIND, {}, key=slot)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and (
                    _notified(container) < expected * CUSTOMERS or _sent(container) < expected * CUSTOMERS
                ):
                    time.sleep(rng.uniform(0.5, 1.5))
                    if kills < 20 and workers.alive():
                        victim = rng.choice(workers.alive())
                        victim.send_signal(signal.SIGKILL)
                        victim.wait()
                        kills += 1
                        workers.start()
                assert _notified(container) == expected * CUSTOMERS, f"phase {when}: steps missing"
                assert _sent(container) == expected * CUSTOMERS, f"phase {when}: emails not delivered"
        finally:
            workers.kill_all()
        per_customer: dict[str, set[str]] = {}
        for received in sink.received:
            if received.message["X-Purser-Kind"] == "dunning":
                per_customer.setdefault(str(received.message["To"]), set()).add(str(received.message["Message-ID"]))
        resent = sum(count - 1 for count in sink.accepted_ids().values())
        print(f"\n{CUSTOMERS} customers, {kills} kills, {len(sink.received)} SMTP deliveries, {resent} re-sent")
        assert kills >= 5, "the loop did not kill often enough to mean anything"
        assert len(per_customer) == CUSTOMERS
        assert Counter(len(ids) for ids in per_customer.values()) == Counter({3: CUSTOMERS})  # 3 steps, once each
        assert len([e for e in sandbox.emails() if e.kind == "dunning"]) == 3 * CUSTOMERS
        assert container.jobs.records(status="dead") == []
        container.close()
