"""The job queue's port: work that is not a customer turn (DESIGN §10).

Webhook processing, outbound email, dunning steps, channel deliveries and the recovery of
interrupted actions are *jobs*: a `kind` (a registered handler), a JSON-able payload and an
idempotency `key`. The adapter (`purser.jobs`, Huey on SQLite or Redis) stores them, runs them on
worker threads or processes and retries failures with backoff. Handlers must be idempotent: the
adapter records a key as done in the same transaction as the handler's own effect where it can,
and a handler re-run after a crash finds its effect by key and does nothing twice.

    queue.enqueue("email.deliver", {"email_id": "em_1"}, key="email.deliver:em_1")
    queue.enqueue("dunning.step", {"case_id": "dc_1", "step": 1}, key="dunning.step:dc_1:1", eta=when)

Enqueueing the same key twice (two webhook deliveries, two workers) runs the job once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from purser.errors import PurserError

JsonScalar = str | int | bool | None
"""Payload values: plain JSON scalars (amounts as decimal strings or integer minor units, never floats)."""

Payload = Mapping[str, JsonScalar]
"""A job's arguments."""


JobStatus = Literal["queued", "running", "done", "failed", "dead"]
"""queued: waiting to run; running: claimed by a worker (until its lease ends); done; failed: the last
attempt raised and a retry is scheduled at `run_at`; dead: out of attempts (kept, visible, re-queueable)."""


class UnknownJob(PurserError, ValueError):
    """No handler is registered for that job kind; nothing was enqueued."""

    code = "unknown_job"
    status = 400


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running handler knows about its job."""

    kind: str
    key: str
    attempt: int
    """1 on the first run, 2 on the first retry, ..."""


class JobLeaseLost(PurserError, RuntimeError):
    """The job's claim (key + attempt) is no longer held: its lease ran out and another worker took it.

    Raised when a handler records its effect and the job as done in one transaction: the transaction
    rolls back, so the effect happens once, in the worker that still holds the job."""

    code = "job_lease_lost"
    status = 409


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job as the queue's table keeps it (what `purser worker` and the dashboard show)."""

    key: str
    """The idempotency key (unique)."""
    kind: str
    """The registered handler's kind."""
    payload: Payload
    """The handler's arguments."""
    status: JobStatus
    """Where the job is (see `JobStatus`)."""
    attempts: int
    """Runs started so far (the running attempt included)."""
    max_attempts: int
    """1 + the kind's retries."""
    run_at: datetime
    """When it is (or was) due: the eta, or the next retry."""
    lease_until: datetime | None
    """While running: another worker may take it over after this."""
    last_error: str | None
    """Why the last attempt failed (type and message; never a secret)."""
    created_at: datetime
    """When it was enqueued."""
    finished_at: datetime | None
    """When it became done or dead."""


JobHandler = Callable[[Payload, JobContext], None]
"""Runs one job; raises to be retried (with backoff, up to the kind's limit)."""


class JobQueue(Protocol):
    """Enqueue idempotent jobs; the adapter runs them."""

    def register(self, kind: str, handler: JobHandler, *, retries: int = 5, retry_delay_seconds: int = 30) -> None:
        """Make `kind` runnable by `handler` (call at bootstrap, before any worker starts)."""
        ...

    def enqueue(self, kind: str, payload: Payload, *, key: str, eta: datetime | None = None) -> bool:
        """Schedule a job (at `eta`, UTC, or now); False when `key` was already enqueued (nothing added)."""
        ...

    def run_due(self, *, now: datetime | None = None) -> int:
        """Run every job due by `now` in this thread, in order (tests, `sandbox advance`); returns how many ran."""
        ...


__all__ = [
    "JobContext",
    "JobHandler",
    "JobLeaseLost",
    "JobQueue",
    "JobRecord",
    "JobStatus",
    "JsonScalar",
    "Payload",
    "UnknownJob",
    "continue_recurring",
    "next_slot",
    "schedule_recurring",
    "slot_of",
]


_SLOT_FORMAT = "%Y%m%dT%H%M%S"


def next_slot(moment: datetime, every: timedelta) -> datetime:
    """The first slot boundary after `moment` on a grid of `every` (UTC, whole seconds)."""
    seconds = int(every.total_seconds())
    stamp = int(moment.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds + seconds, UTC)


def schedule_recurring(queue: JobQueue, kind: str, *, every: timedelta, now: datetime | None = None) -> bool:
    """Enqueue the run of `kind` in the next slot after `now` (wall clock), keyed `kind:<slot>`.

    A recurring job is a chain: each run schedules the next slot first (so a failing run does not
    stop it), and because the key names the slot, any number of processes seeding or continuing the
    chain enqueue each slot once. Returns False when that slot is enqueued already.
    """
    when = next_slot(now or datetime.now(UTC), every)
    return queue.enqueue(kind, {}, key=f"{kind}:{when.strftime(_SLOT_FORMAT)}", eta=when)


def slot_of(key: str) -> datetime:
    """The slot a recurring job's key names (`kind:<slot>`)."""
    return datetime.strptime(key.rpartition(":")[2], _SLOT_FORMAT).replace(tzinfo=UTC)


def continue_recurring(queue: JobQueue, context: JobContext, *, every: timedelta) -> bool:
    """From inside a recurring run: schedule the slot after this one (a run started early, by
    `run_due(now=...)`, still moves the chain past its own slot)."""
    now = datetime.now(UTC)
    with suppress(ValueError):  # a run enqueued by hand under another key: the chain goes on from now
        now = max(now, slot_of(context.key))
    return schedule_recurring(queue, context.kind, every=every, now=now)
