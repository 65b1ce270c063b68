"""Real `purser worker` processes for tests that kill them, and a throw-away Redis queue name.

with redis_queue("redis://127.0.0.1:6379/0", prefix="purser-kill") as name:
    workers = WorkerProcesses(env={**os.environ, "PURSER_JOBS__NAME": name, ...}, cwd=tmp_path)
    workers.start(); workers.start()
    workers.kill_one(random.Random(7))        # SIGKILL, then start a replacement
    codes = workers.stop()                    # SIGTERM the live ones; their exit codes
    workers.kill_all()                        # in a finally: nothing outlives the test
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["WorkerProcesses", "redis_queue"]


class WorkerProcesses:
    """`purser worker` processes started with `env` in `cwd`, each writing to `worker-N.log` there."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def started(self) -> int:
        """How many processes were started in all."""
        return len(self.procs)

    def start(self) -> subprocess.Popen[bytes]:
        """Start one more worker."""
        with (self.cwd / f"worker-{len(self.procs) + 1}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "purser.cli", "worker"], env=self.env, cwd=self.cwd, stdout=log, stderr=log
            )
        self.procs.append(proc)
        return proc

    def alive(self) -> list[subprocess.Popen[bytes]]:
        """The workers still running."""
        return [p for p in self.procs if p.poll() is None]

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL one live worker (chosen by `rng`) and start a replacement."""
        victim = rng.choice(self.alive())
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.start()

    def stop(self, *, timeout_seconds: int = 30) -> list[int]:
        """SIGTERM every live worker and wait: their exit codes (0 = a clean stop)."""
        live = self.alive()
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=timeout_seconds) for proc in live]

    def kill_all(self) -> None:
        """SIGKILL whatever still runs (a test's `finally`)."""
        for proc in self.alive():
            proc.kill()
            proc.wait()

    def logs(self) -> str:
        """Every worker's output, one after the other."""
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.cwd.glob("worker-*.log")))


@contextmanager
def redis_queue(url: str, *, prefix: str = "purser-test") -> Iterator[str]:
    """A unique queue name (`PURSER_JOBS__NAME`) whose Redis keys are deleted afterwards."""
    from huey import RedisHuey

    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        huey = RedisHuey(name, url=url, results=False)
        huey.storage.flush_all()  # Huey names its keys after a cleaned-up `name`: let it find them
        huey.storage.conn.close()
