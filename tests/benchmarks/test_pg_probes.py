"""The PostgreSQL probes of the web benchmarks read what they claim: backend CPU from /proc, lock waits
from pg_stat_activity, the machine's busy time from /proc/stat.

Nothing here is timed; the figures are checked only for what a real workload must produce (a backend
that ran a CPU-heavy query used CPU; a transaction blocked on a row lock shows a `Lock:` wait).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _harness() -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("_harness")


def _libpq(url: str) -> str:
    # postgresql+psycopg://postgres@127.0.0.1:5432/<name> -> a libpq connection string
    return f"host=127.0.0.1 port=5432 user=postgres dbname={url.rsplit('/', 1)[1]}"


@pytest.mark.postgres
def test_backend_cpu_counts_the_work_of_this_database_only(pg_url: str) -> None:
    harness = _harness()
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(_libpq(pg_url), autocommit=True) as conn:
        assert conn.info.backend_pid in harness.postgres_backends(name)
        probe = harness.PostgresCpu(name)
        probe.start()
        idle = probe.stop()
        probe.start()
        conn.execute("SELECT count(*) FROM generate_series(1, 3000000)").fetchone()
        busy = probe.stop()
    assert idle < 0.05  # nothing ran between start and stop
    assert busy >= 0.05  # three million rows take tens of milliseconds of the backend's CPU
    with pytest.raises(RuntimeError, match="before start"):
        harness.PostgresCpu(name).stop()


@pytest.mark.postgres
def test_wait_sampler_sees_a_row_lock_wait(pg_url: str) -> None:
    harness = _harness()
    name = pg_url.rsplit("/", 1)[1]
    dsn = _libpq(pg_url)
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE hot (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO hot VALUES (1, 0)")
    sampler = harness.WaitSampler(name, interval=0.02)
    with psycopg.connect(dsn) as holder, psycopg.connect(dsn) as waiter:
        holder.execute("SELECT n FROM hot WHERE id = 1 FOR UPDATE")  # holds the row until commit
        blocked = threading.Thread(
            target=lambda: (waiter.execute("UPDATE hot SET n = n + 1 WHERE id = 1"), waiter.commit())
        )
        blocked.start()
        sampler.start()
        time.sleep(0.5)
        summary = sampler.stop()
        holder.commit()
        blocked.join(10)
    assert not blocked.is_alive()
    assert summary["samples"] >= 5
    assert summary["lock_wait_share"] > 0.5, summary  # the only active backend was the blocked UPDATE
    assert any(event.startswith("Lock:") for event in summary["shares"])
    assert list(summary["lock_waiters"]) == ["UPDATE hot SET n = n + 1 WHERE id = 1"]


def test_machine_busy_time_grows_while_a_core_works() -> None:
    harness = _harness()
    before = harness.machine_busy_seconds()
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    assert harness.machine_busy_seconds() - before >= 0.15


def test_pin_moves_every_thread_of_a_process() -> None:
    harness = _harness()
    cores = sorted(os.sched_getaffinity(0))
    code = (
        "import threading, time\n"
        "for _ in range(3): threading.Thread(target=time.sleep, args=(30,)).start()\n"
        "time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 10
        while len(os.listdir(f"/proc/{child.pid}/task")) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        harness.pin(child.pid, {cores[-1]})
        tasks = os.listdir(f"/proc/{child.pid}/task")
        assert len(tasks) == 4
        assert all(os.sched_getaffinity(int(t)) == {cores[-1]} for t in tasks)
    finally:
        child.kill()
        child.wait()
