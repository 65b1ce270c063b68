"""The periodic `audit.checkpoint` job: anchor the chain's head every N records or M minutes.

A tick runs once a minute (one job per minute slot, keyed by the slot, so any number of processes
seeding it enqueue it once). Each tick first schedules the next one, then looks at the chain's
head and the anchor's last line, which costs two small reads; only when `every_records` records
were appended since the last checkpoint, or `every_minutes` passed and anything was appended, does
it verify the records appended since the newest trusted checkpoint, in pages (never the whole
chain, never all of it in memory: `AuditLog.checkpoint(incremental=True)`), and append a
checkpoint. A chain that does not verify is never checkpointed: the job fails, and the queue logs
and retries it. `purser audit verify` and `purser audit checkpoint` still walk the whole chain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from purser.audit.log import AuditLog
from purser.ports.jobs import JobContext, JobQueue, Payload, continue_recurring, schedule_recurring

__all__ = ["CHECKPOINT_KIND", "TICK_EVERY", "checkpoint_due", "register_checkpoints", "schedule_checkpoint"]

CHECKPOINT_KIND = "audit.checkpoint"
"""The job kind."""

TICK_EVERY = timedelta(minutes=1)
"""How often the job looks at the chain."""


def checkpoint_due(log: AuditLog, *, every_records: int, every_minutes: int, now: datetime) -> bool:
    """True when the chain should be checkpointed now (or verified: its head moved backwards or changed)."""
    if log.anchor is None:
        return False
    head = log.head()
    last = log.anchor.last()
    if last is None:
        return head.seq > 0
    if head.seq < last.seq or (head.seq == last.seq and head.hash != last.head):
        return True  # truncated or rewritten: the checkpoint's verification fails loudly
    if head.seq == last.seq:
        return False
    if head.seq - last.seq >= every_records:
        return True
    written = datetime.strptime(last.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return now - written >= timedelta(minutes=every_minutes)


def schedule_checkpoint(queue: JobQueue, *, now: datetime | None = None, every: timedelta = TICK_EVERY) -> bool:
    """Enqueue the tick of the next slot after `now` (wall clock); False when it is enqueued already."""
    return schedule_recurring(queue, CHECKPOINT_KIND, every=every, now=now)


def register_checkpoints(
    queue: JobQueue, log: AuditLog, *, every_records: int, every_minutes: int, every: timedelta = TICK_EVERY
) -> None:
    """Register `audit.checkpoint` on `queue` (at bootstrap, before workers start)."""

    def tick(_payload: Payload, context: JobContext) -> None:
        continue_recurring(queue, context, every=every)  # first: a failing checkpoint must not stop the ticks
        if checkpoint_due(log, every_records=every_records, every_minutes=every_minutes, now=datetime.now(UTC)):
            log.checkpoint(incremental=True)

    queue.register(CHECKPOINT_KIND, tick, retries=2, retry_delay_seconds=30)
