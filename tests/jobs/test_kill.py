"""Two real `purser worker` processes on Redis and PostgreSQL, SIGKILLed in a loop while emails go out
to a slow SMTP server: afterwards every email is delivered, none under two Message-IDs, nothing is dead,
and SIGTERM stops a worker cleanly.

"Exactly once" at the SMTP boundary: a worker killed after the server accepted a message and before our
commit re-sends it with the SAME Message-ID on the next attempt; receivers dedupe by Message-ID (the
count of such re-sends is printed). What can never happen is a second Message-ID for one email.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from purser.app import Container, build
from purser.config import JobsSettings, Settings
from purser.ports.outbox import OutgoingEmail
from purser.testing.smtp import SmtpSink
from purser.testing.workers import WorkerProcesses, redis_queue

REDIS_URL = "redis://127.0.0.1:6379/0"
EMAILS = 60
KILL_SECONDS = 10


def _sent(container: Container) -> int:
    assert container.outbox is not None
    return sum(1 for e in container.outbox.entries(limit=EMAILS * 2) if e.status == "sent")


@pytest.fixture
def queue_name() -> Iterator[str]:
    with redis_queue(REDIS_URL, prefix="purser-kill") as name:
        yield name


def test_kill_9_in_a_loop_loses_nothing_and_never_sends_under_two_message_ids(
    pg_url: str, tmp_path: Path, queue_name: str, request: pytest.FixtureRequest
) -> None:
    with SmtpSink(delay_milliseconds=250) as sink:
        jobs = JobsSettings(name=queue_name, lease_seconds=3, sweep_seconds=1, workers=2)
        settings = Settings(database_url=pg_url, redis_url=REDIS_URL, smtp_url=sink.url, jobs=jobs)
        t0 = time.monotonic()
        container = build(settings)
        request.addfinalizer(container.close)  # a failed assertion must not leave its connections to the collector
        t_build = time.monotonic() - t0
        env = {
            **os.environ,
            "PURSER_DATABASE_URL": pg_url,
            "PURSER_REDIS_URL": REDIS_URL,
            "PURSER_SMTP_URL": sink.url,
            "PURSER_JOBS__NAME": queue_name,
            "PURSER_JOBS__LEASE_SECONDS": "3",
            "PURSER_JOBS__SWEEP_SECONDS": "1",
            "PURSER_JOBS__WORKERS": "2",
        }
        workers = WorkerProcesses(env, tmp_path)
        try:
            assert container.outbox is not None
            for n in range(EMAILS):
                email = OutgoingEmail(to=f"c{n}@example.com", subject=f"Notice {n}", text="hello", kind="dunning")
                container.outbox.send(email, key=f"kill-test:{n}")
            workers.start()
            workers.start()
            sink.wait_for(1, timeout_seconds=60)  # kill workers that are delivering, not starting
            t_first = time.monotonic() - t0
            rng = random.Random(7)
            kills = 0
            deadline = time.monotonic() + KILL_SECONDS
            while time.monotonic() < deadline and _sent(container) < EMAILS:
                time.sleep(rng.uniform(0.8, 2.0))
                workers.kill_one(rng)
                kills += 1
            t_loop = time.monotonic() - t0
            settle = time.monotonic() + 30  # no more kills: the survivors and the sweeper finish the rest
            while time.monotonic() < settle and _sent(container) < EMAILS:
                time.sleep(0.3)
            t_settle = time.monotonic() - t0
            print(f"\nbuild {t_build:.1f}s, first delivery {t_first:.1f}s, loop end {t_loop:.1f}s, all {t_settle:.1f}s")
            stopped = workers.stop()
        finally:
            workers.kill_all()
        entries = container.outbox.entries(limit=EMAILS * 2)
        accepted = sink.accepted_ids()
        by_email: dict[str, set[str]] = {}
        for received in sink.received:
            by_email.setdefault(str(received.message["X-Purser-Outbox-Id"]), set()).add(
                str(received.message["Message-ID"])
            )
        resent = sum(count - 1 for count in accepted.values())
        print(
            f"\n{kills} kills, {workers.started} worker starts, {len(sink.received)} SMTP deliveries, {resent} re-sent"
        )
        assert kills >= 5, "the loop did not kill often enough to mean anything"
        assert [e.status for e in entries].count("sent") == EMAILS, [
            e.last_error for e in entries if e.status != "sent"
        ]
        assert set(accepted) == {e.message_id for e in entries}  # every email arrived
        assert all(len(ids) == 1 for ids in by_email.values())  # never under two Message-IDs
        assert container.jobs is not None and container.jobs.records(status="dead") == []
        assert "delivered to 127.0.0.1" in workers.logs()
        # A worker the loop restarted a moment ago may meet SIGTERM before Huey installed its handler (-15);
        # the clean stop itself is tests/cli/test_worker.py's. Nothing else may have ended them.
        assert len(stopped) == 2 and all(code in (0, -15) for code in stopped), f"workers ended oddly: {stopped}"
