"""`jobs.prune`: a recurring job that deletes `done` jobs older than `KEEP` (the table never stops growing
otherwise: every webhook, email, recovery slot and dunning step leaves a row).

Idempotent: a run deletes what is old enough and nothing else, so a repeated or concurrent run finds
nothing more to do. A job's key is what makes enqueueing it idempotent (`enqueue` adds nothing for a
key it has), so `KEEP` must stay longer than any sender repeats a key: Stripe re-delivers an event for
up to 3 days; recurring slots are never enqueued again once past. Failed, dead, queued and running jobs
are never pruned. The chain is seeded when a worker starts (`purser.jobs.worker`), like every chain,
one job per slot whoever seeds it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from purser.jobs.queue import HueyJobQueue
from purser.ports.jobs import JobContext, Payload, continue_recurring, schedule_recurring
from purser.store.job_prune import prune_done_jobs

__all__ = ["KEEP", "PRUNE_EVERY", "PRUNE_KIND", "prune_jobs", "register_prune", "schedule_prune"]

log = logging.getLogger("purser.jobs")

PRUNE_KIND = "jobs.prune"
PRUNE_EVERY = timedelta(days=1)
"""How often finished jobs are pruned."""
KEEP = timedelta(days=30)
"""How long a `done` job stays visible (`purser jobs list`) before it is pruned."""


def prune_jobs(queue: HueyJobQueue, *, keep: timedelta = KEEP, now: datetime | None = None) -> int:
    """Delete the `done` jobs that finished more than `keep` before `now`; how many."""
    if keep <= timedelta(0):
        raise ValueError("keep must be a positive duration")
    cutoff = (now or datetime.now(UTC)) - keep
    return prune_done_jobs(queue.store.db, finished_before=cutoff)


def register_prune(queue: HueyJobQueue, *, every: timedelta = PRUNE_EVERY, keep: timedelta = KEEP) -> None:
    """Register `jobs.prune` (before the workers start); each run schedules the next slot first."""
    if queue.has(PRUNE_KIND):
        return

    def prune(_payload: Payload, context: JobContext) -> None:
        continue_recurring(queue, context, every=every)  # first: a failing run must not stop the chain
        deleted = prune_jobs(queue, keep=keep)
        if deleted:
            log.info("jobs: %d finished job(s) older than %s pruned", deleted, keep)

    queue.register(PRUNE_KIND, prune, retries=3, retry_delay_seconds=300)


def schedule_prune(queue: HueyJobQueue, *, now: datetime | None = None, every: timedelta = PRUNE_EVERY) -> bool:
    """Enqueue the prune of the next slot after `now`; False when that slot is enqueued already."""
    return schedule_recurring(queue, PRUNE_KIND, every=every, now=now)
