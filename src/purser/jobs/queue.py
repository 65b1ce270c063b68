"""`HueyJobQueue`: the `JobQueue` port on Huey, with our `jobs` table as the source of truth.

Huey moves a job's key to a worker (at its eta) and gives us consumers, worker threads and signal
handling; everything that must survive a crash lives in our database:

- `enqueue` inserts the row (the key is unique: a second enqueue adds nothing and returns False),
  then pushes the key to Huey. Every Huey message is only a hint: the worker's claim decides.
- A worker claims the row in one conditional UPDATE (queued/failed and due → running, attempts + 1,
  a lease), runs the kind's handler, and marks the row done for that attempt. A worker killed
  mid-job leaves the row running; once the lease is over, anyone may claim it again.
- A handler that raises is retried with exponential backoff (`retry_delay × 2^(attempt-1)`, capped)
  until the kind's retries are spent; then the row is `dead` with its last error, visible and
  re-queueable. Retries are ours, not Huey's, so they survive the process.
- `sweep` re-pushes rows nobody took in time (the message died with a worker, or the process died
  between the insert and the push); `run_due` runs due jobs in the caller's thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from huey import Huey

from purser.errors import PurserError
from purser.jobs.doorbell import Doorbell
from purser.ports.jobs import (
    JobContext,
    JobHandler,
    JobLeaseLost,
    JobQueue,
    JobRecord,
    JobStatus,
    Payload,
    UnknownJob,
)
from purser.store.jobs import JobStore

__all__ = ["DEFAULT_LEASE_SECONDS", "TASK_NAME", "HueyJobQueue", "InvalidJob"]

log = logging.getLogger("purser.jobs")

TASK_NAME = "purser.run_job"
"""The one Huey task: its only argument is a job key."""

DEFAULT_LEASE_SECONDS = 300
"""How long a claim holds before another worker may take the job over (longer than any handler runs)."""

MAX_BACKOFF_SECONDS = 3600
"""The longest wait between two attempts."""

_PUSH_NOTED_WHEN_LATE = timedelta(seconds=1)
"""A push this long after its job was due is written down (`mark_pushed`); earlier ones need not be."""

_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class InvalidJob(PurserError, ValueError):
    """A job cannot be enqueued as given (empty key, a float or nested value in the payload, ...)."""

    code = "invalid_job"
    status = 422


@dataclass(frozen=True, slots=True)
class _Kind:
    handler: JobHandler
    retries: int
    retry_delay_seconds: int


def _now() -> datetime:
    return datetime.now(UTC)


def _check_payload(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidJob(f"job {kind!r}: the payload must be a mapping, got {type(payload).__name__}")
    for name, value in payload.items():
        if not isinstance(name, str):
            raise InvalidJob(f"job {kind!r}: payload keys must be strings, got {name!r}")
        if value is not None and not isinstance(value, str | int | bool):
            raise InvalidJob(
                f"job {kind!r}: payload[{name!r}] is a {type(value).__name__}; only str, int, bool and None "
                "are allowed (amounts as integer minor units)"
            )
    return dict(payload)


def _describe(exc: BaseException) -> str:
    """The error kept on the row: type and message (our errors never carry secrets; vendor ones are named)."""
    message = str(exc).strip() or "(no message)"
    return f"{type(exc).__name__}: {message}"


class HueyJobQueue:
    """The job queue (implements `purser.ports.jobs.JobQueue`) over a Huey instance and the `jobs` table."""

    def __init__(
        self,
        store: JobStore,
        huey: Huey,
        *,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        sweep_grace_seconds: int = 30,
        max_backoff_seconds: int = MAX_BACKOFF_SECONDS,
    ) -> None:
        if lease_seconds < 1 or sweep_grace_seconds < 0:
            raise InvalidJob("lease_seconds must be at least 1 and sweep_grace_seconds not negative")
        self.store = store
        self.huey = huey
        self.lease_seconds = lease_seconds
        self.sweep_grace_seconds = sweep_grace_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._kinds: dict[str, _Kind] = {}
        self._task = huey.task(name=TASK_NAME)(self._on_message)
        self.doorbell = Doorbell()
        """Rung on every push, so this process's embedded worker threads need not poll often."""

    # -- the port ----------------------------------------------------------------------------------
    def register(self, kind: str, handler: JobHandler, *, retries: int = 5, retry_delay_seconds: int = 30) -> None:
        """Make `kind` runnable by `handler`; registering a kind twice replaces its handler."""
        if not _KIND.match(kind):
            raise InvalidJob(f"job kind {kind!r}: expected dotted lowercase words, e.g. 'email.deliver'")
        if retries < 0 or retry_delay_seconds < 1:
            raise InvalidJob(f"job kind {kind!r}: retries must be >= 0 and retry_delay_seconds >= 1")
        self._kinds[kind] = _Kind(handler, retries, retry_delay_seconds)

    def enqueue(self, kind: str, payload: Payload, *, key: str, eta: datetime | None = None) -> bool:
        """Store the job under `key` and hand it to Huey; False (nothing added) when `key` exists."""
        spec = self._kinds.get(kind)
        if spec is None:
            raise UnknownJob(f"no handler is registered for job kind {kind!r}")
        if not isinstance(key, str) or not key.strip() or len(key) > 300:
            raise InvalidJob(f"job {kind!r}: the key must be a non-empty string of at most 300 characters")
        if eta is not None and eta.tzinfo is None:
            raise InvalidJob(f"job {kind!r}: eta must be an aware datetime (UTC), got {eta.isoformat()}")
        run_at = eta or _now()
        if not self.store.insert(
            kind, _check_payload(kind, payload), key=key, run_at=run_at, max_attempts=spec.retries + 1
        ):
            return False
        self._push(key, run_at)
        return True

    def run_due(self, *, now: datetime | None = None) -> int:
        """Run every job due by `now` here, oldest first, each at most once per call (a retry waits for
        the next call); jobs the handlers enqueue that are due run too. Returns how many ran."""
        ran = 0
        seen: set[str] = set()
        while True:
            wall = _now()
            # Jobs already run in this call may still be due (a retry before `now`): look past them.
            due = self.store.due(due_by=now or wall, now=wall, kinds=self._kinds.keys(), limit=len(seen) + 100)
            keys = [key for key in due if key not in seen]
            if not keys:
                return ran
            for key in keys:
                seen.add(key)
                if self.run(key, due_by=now):
                    ran += 1

    # -- beyond the port ---------------------------------------------------------------------------
    def announce(self, key: str, run_at: datetime) -> None:
        """Hand a job already stored in the caller's transaction (`purser.store.jobs.insert_in`) to the workers."""
        self._push(key, run_at)

    def spec(self, kind: str) -> tuple[int, int]:
        """(max attempts, first retry delay in seconds) of a registered kind; `UnknownJob` otherwise."""
        found = self._kinds.get(kind)
        if found is None:
            raise UnknownJob(f"no handler is registered for job kind {kind!r}")
        return found.retries + 1, found.retry_delay_seconds

    def run(self, key: str, *, due_by: datetime | None = None) -> bool:
        """Claim and run one job now, in this thread; False when it was not claimable (done, dead, not
        due, held by another worker, or of a kind this process does not run)."""
        now = _now()
        # Only kinds registered here: a process wired for part of the work (a back-office command) leaves
        # the other kinds to the processes that can run them, rather than failing them.
        record = self.store.claim(
            key, now=now, due_by=due_by or now, lease_seconds=self.lease_seconds, kinds=self._kinds.keys()
        )
        if record is None:
            return False
        self._execute(record)
        return True

    def sweep(self, *, now: datetime | None = None) -> int:
        """Re-push jobs that should have run by now but nobody took (lost messages, expired leases)."""
        pushed = 0
        for key, run_at in self.store.lost(now=now or _now(), grace_seconds=self.sweep_grace_seconds):
            log.info("sweeper: re-queueing job %s (due %s)", key, run_at.isoformat())
            self._push(key, run_at, mark=False)
            pushed += 1
        return pushed

    def get(self, key: str) -> JobRecord | None:
        """One job's row."""
        return self.store.get(key)

    def records(self, *, status: JobStatus | None = None, limit: int = 100) -> list[JobRecord]:
        """The newest jobs first (only `status` when given)."""
        return self.store.records(status=status, limit=limit)

    def requeue(self, key: str) -> bool:
        """Give a dead job new attempts and run it again; False unless it was dead."""
        now = _now()
        if not self.store.requeue(key, now=now):
            return False
        self._push(key, now)
        return True

    def backoff(self, kind: str, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based) of `kind`."""
        spec = self._kinds.get(kind)
        base = spec.retry_delay_seconds if spec else 30
        exponent = min(attempt - 1, 30)  # 2**30 × base is past any cap; keep the integer small
        return timedelta(seconds=min(base * 2**exponent, self.max_backoff_seconds))

    def has(self, kind: str) -> bool:
        """True when `kind` is registered."""
        return kind in self._kinds

    @property
    def kinds(self) -> list[str]:
        """The registered kinds."""
        return sorted(self._kinds)

    # -- internals ---------------------------------------------------------------------------------
    def _on_message(self, key: str) -> None:
        # The Huey task body: a message is a hint to try the key; the claim decides.
        self.run(key)

    def _push(self, key: str, run_at: datetime, *, mark: bool = True) -> None:
        now = _now()
        try:
            if run_at > now:
                self._task.schedule((key,), eta=run_at)
                self.doorbell.ring(run_at)
            else:
                self._task(key)
                self.doorbell.ring()
        except Exception as exc:  # the broker is down: the row stays, the sweeper pushes it later
            log.warning("job %s stored but not handed to the queue (%s); the sweeper will retry", key, _describe(exc))
            return
        # The sweeper re-pushes a row once it is overdue by its grace and was not pushed within it. For a
        # job due now or later the row's run_at already says that much, so a write to note the push
        # would change nothing (and cost a transaction per job); only a job pushed when it was overdue
        # already (a requeue, a catch-up) is noted, so the sweeper does not push it again at once.
        if mark and run_at < now - _PUSH_NOTED_WHEN_LATE:
            self.store.mark_pushed(key, now=now)

    def _execute(self, record: JobRecord) -> None:
        now = _now()
        spec = self._kinds[record.kind]  # claimed only for registered kinds
        if record.attempts > record.max_attempts:
            # Claimed again after its lease ran out more often than it may run: the workers running it
            # died each time. Stop, so one poisonous job cannot take the workers down forever.
            error = f"gave up after {record.attempts - 1} attempts (the last ones were interrupted)"
            self.store.fail(record.key, record.attempts, error=record.last_error or error, retry_at=None, now=now)
            log.error("job %s: %s; marked dead", record.key, error)
            return
        context = JobContext(kind=record.kind, key=record.key, attempt=record.attempts)
        log.info("job %s (%s) attempt %d/%d", record.key, record.kind, record.attempts, record.max_attempts)
        try:
            spec.handler(record.payload, context)
        except JobLeaseLost as exc:
            log.warning("job %s: %s; left to the worker that holds it", record.key, exc)
            return
        except Exception as exc:  # any failure is retried: the handler is idempotent by key
            self._failed(record, exc)
            return
        if not self.store.finish(record.key, record.attempts, now=_now()):
            log.warning("job %s: finished after its lease ran out; another worker may run it again", record.key)
            return
        log.info("job %s done", record.key)

    def _failed(self, record: JobRecord, exc: Exception) -> None:
        now = _now()
        error = _describe(exc)
        retry_at = now + self.backoff(record.kind, record.attempts) if record.attempts < record.max_attempts else None
        status = self.store.fail(record.key, record.attempts, error=error, retry_at=retry_at, now=now)
        if status == "failed" and retry_at is not None:
            log.warning(
                "job %s attempt %d failed (%s); retry at %s", record.key, record.attempts, error, retry_at.isoformat()
            )
            self._push(record.key, retry_at)
        elif status == "dead":
            log.error("job %s failed %d times (%s); marked dead", record.key, record.attempts, error)


def _implements_the_port(queue: HueyJobQueue) -> JobQueue:
    # Never called: mypy checks here that the adapter still satisfies `purser.ports.jobs.JobQueue`.
    return queue
