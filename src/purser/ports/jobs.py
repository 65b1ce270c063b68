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
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from purser.errors import PurserError

JsonScalar = str | int | bool | None
"""Payload values: plain JSON scalars (amounts as decimal strings or integer minor units, never floats)."""

Payload = Mapping[str, JsonScalar]
"""A job's arguments."""


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


__all__ = ["JobContext", "JobHandler", "JobQueue", "JsonScalar", "Payload", "UnknownJob"]
