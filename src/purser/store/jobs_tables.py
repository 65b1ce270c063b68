"""The job queue's and the outbox's tables (DESIGN §10): `jobs` and `outbox`.

`jobs` is the source of truth for every job: Huey (SQLite file or Redis) only carries a job's key
to a worker, so a message lost with a killed worker is found again here by the sweeper.
`outbox` holds every email Purser sends, whatever the processor, until an SMTP server took it.
Timestamps are ISO-8601 UTC strings with microseconds (`...T12:00:00.000000Z`): they sort as text.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text

from purser.store.db import metadata

__all__ = ["jobs", "outbox", "outbox_attachments"]

jobs = Table(
    "jobs",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("kind", String(100), nullable=False),
    Column("payload", Text, nullable=False),  # JSON object of scalars
    Column("status", String(16), nullable=False),  # queued | running | done | failed | dead
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", String(40), nullable=False),  # due time (eta, or the next retry)
    Column("lease_until", String(40), nullable=True),  # while running: re-claimable after this
    Column("pushed_at", String(40), nullable=True),  # last hand-over to Huey (the sweeper re-pushes)
    Column("last_error", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("finished_at", String(40), nullable=True),
)
Index("ix_jobs_status_run_at", jobs.c.status, jobs.c.run_at)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),  # the sender's idempotency key
    Column("message_id", String(300), nullable=False, unique=True),  # stable across retries
    Column("kind", String(60), nullable=False),
    Column("customer_id", String(200), nullable=True),
    Column("sender", String(300), nullable=True),
    Column("recipient", String(300), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=True),
    Column("headers", Text, nullable=False),  # JSON object: In-Reply-To, References, ...
    Column("status", String(16), nullable=False),  # queued | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("delivered_at", String(40), nullable=True),
)
Index("ix_outbox_status", outbox.c.status, outbox.c.created_at)
Index("ix_outbox_customer", outbox.c.customer_id, outbox.c.created_at)

outbox_attachments = Table(
    "outbox_attachments",
    metadata,
    Column("outbox_id", String(40), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("filename", String(300), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
)
