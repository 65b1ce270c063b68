"""Deleting finished jobs from the `jobs` table (`purser.jobs.prune` runs it every day).

Only `done` rows whose `finished_at` is older than the cut-off go; `queued`, `running`, `failed` and
`dead` rows stay (a dead job is an operator's to look at and re-queue). Deleting in batches keeps each
transaction short, so workers claiming jobs meanwhile wait for milliseconds, not for the whole prune.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select

from purser.store.db import Database
from purser.store.jobs import stamp
from purser.store.jobs_tables import jobs

__all__ = ["PRUNE_BATCH", "prune_done_jobs"]

PRUNE_BATCH = 500
"""Rows deleted per transaction."""

_BATCH = delete(jobs).where(
    jobs.c.key.in_(
        select(jobs.c.key)
        .where(jobs.c.status == "done", jobs.c.finished_at < bindparam("before"))
        .limit(bindparam("batch"))
    )
)


def prune_done_jobs(db: Database, *, finished_before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete `done` jobs finished before `finished_before` (aware); how many were deleted."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    params = {"before": stamp(finished_before), "batch": batch}
    deleted = 0
    while True:
        n = int(db.run_write(lambda conn: conn.execute(_BATCH, params).rowcount))
        deleted += n
        if n < batch:
            return deleted
