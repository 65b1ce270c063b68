"""What the queue and the outbox look like right now, for the admin API (`GET /api/admin/jobs`).

Counts by status, the dead jobs, and every email not delivered yet with its last error: an SMTP server
that is down shows here as queued emails with `attempts`, `last_error` and `next_attempt_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from purser.jobs.queue import HueyJobQueue
from purser.mail.outbox import OutboxService
from purser.ports.outbox import OutboxEntry

__all__ = ["queue_report"]


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _email(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.email.kind,
        "to": entry.email.to,
        "subject": entry.email.subject,
        "status": entry.status,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "next_attempt_at": _when(entry.next_attempt_at),
        "created_at": _when(entry.created_at),
    }


def queue_report(queue: HueyJobQueue, outbox: OutboxService, *, limit: int = 50) -> dict[str, Any]:
    """Jobs by status, the newest dead jobs, emails by status and the newest undelivered ones."""
    dead = [
        {
            "key": job.key,
            "kind": job.kind,
            "attempts": job.attempts,
            "last_error": job.last_error,
            "finished_at": _when(job.finished_at),
        }
        for job in queue.records(status="dead", limit=limit)
    ]
    waiting = outbox.entries(status="queued", limit=limit) + outbox.entries(status="failed", limit=limit)
    undelivered = [_email(e) for e in sorted(waiting, key=lambda e: e.created_at, reverse=True)[:limit]]
    return {
        "jobs": queue.store.counts(),
        "dead_jobs": dead,
        "emails": outbox.store.counts(),
        "undelivered_emails": undelivered,
        "smtp": outbox.target.address if outbox.target is not None else None,
    }
