"""The `outbox` table's repository: one row per message (unique by the sender's key), its delivery state.

`insert_in(conn, ...)` writes a message inside a caller's transaction (a sender that records its own
effect in the same commit); `OutboxStore.insert` in its own. Delivery bookkeeping (`attempted`,
`delivered_in`) is fenced by the `email.deliver` job (see `purser.store.jobs.finish_in`).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.ports.outbox import Attachment, OutboxEntry, OutboxStatus, OutgoingEmail
from purser.store.db import Database
from purser.store.jobs import finish_in, parse_stamp, stamp
from purser.store.jobs import insert_in as insert_job_in
from purser.store.jobs_tables import outbox, outbox_attachments

__all__ = ["OutboxStore", "insert_in"]


def _new_id() -> str:
    return "ob_" + secrets.token_hex(12)


def _entry(row: Any, attachments: list[Attachment]) -> OutboxEntry:
    email = OutgoingEmail(
        to=row.recipient,
        subject=row.subject,
        text=row.text_body,
        kind=row.kind,
        html=row.html_body,
        customer_id=row.customer_id,
        sender=row.sender,
        headers=json.loads(row.headers),
        attachments=tuple(attachments),
    )
    return OutboxEntry(
        id=row.id,
        key=row.key,
        message_id=row.message_id,
        email=email,
        status=cast(OutboxStatus, row.status),
        attempts=row.attempts,
        next_attempt_at=parse_stamp(row.next_attempt_at) if row.next_attempt_at else None,
        last_error=row.last_error,
        created_at=parse_stamp(row.created_at),
        delivered_at=parse_stamp(row.delivered_at) if row.delivered_at else None,
    )


def _read(conn: Connection, row: Any, *, with_files: bool = True) -> OutboxEntry:
    files: list[Attachment] = []
    if with_files:
        stmt = select(outbox_attachments).where(outbox_attachments.c.outbox_id == row.id)
        for part in conn.execute(stmt.order_by(outbox_attachments.c.position)):
            files.append(Attachment(part.filename, part.content_type, bytes(part.data)))
    return _entry(row, files)


def insert_in(
    conn: Connection, email: OutgoingEmail, *, key: str, message_domain: str, now: datetime
) -> tuple[OutboxEntry, bool]:
    """Store `email` under `key` in the caller's transaction: (the entry, True) when written now,
    (the stored entry, False) when `key` was used before."""
    found = conn.execute(select(outbox).where(outbox.c.key == key)).first()
    if found is not None:
        return _read(conn, found), False
    outbox_id = _new_id()
    row = {
        "id": outbox_id,
        "key": key,
        "message_id": f"<{outbox_id}@{message_domain}>",
        "kind": email.kind,
        "customer_id": email.customer_id,
        "sender": email.sender,
        "recipient": email.to,
        "subject": email.subject,
        "text_body": email.text,
        "html_body": email.html,
        "headers": json.dumps(dict(email.headers), sort_keys=True),
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": stamp(now),
        "created_at": stamp(now),
    }
    conn.execute(insert(outbox).values(**row))
    for position, part in enumerate(email.attachments):
        conn.execute(
            insert(outbox_attachments).values(
                outbox_id=outbox_id,
                position=position,
                filename=part.filename,
                content_type=part.content_type,
                data=part.data,
            )
        )
    return _read(conn, conn.execute(select(outbox).where(outbox.c.id == outbox_id)).one()), True


class OutboxStore:
    """SQL repository of outbox rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(
        self, email: OutgoingEmail, *, key: str, message_domain: str, now: datetime, job_kind: str, max_attempts: int
    ) -> tuple[OutboxEntry, str]:
        """Store `email` under `key` and its delivery job (`{job_kind}:{id}`, payload `outbox_id`) in ONE
        transaction, so a stored message always has a job; (entry, job key). The stored entry when `key`
        was used before (its job is added if it was somehow missing)."""

        def unit(conn: Connection) -> tuple[OutboxEntry, str]:
            entry, _fresh = insert_in(conn, email, key=key, message_domain=message_domain, now=now)
            job_key = f"{job_kind}:{entry.id}"
            if entry.status == "queued":
                insert_job_in(
                    conn, job_kind, {"outbox_id": entry.id}, key=job_key, run_at=now, max_attempts=max_attempts
                )
            return entry, job_key

        try:
            return self.db.run_write(unit)
        except IntegrityError:  # a concurrent send of the same key committed first: read it
            return self.db.run_write(unit)

    def get(self, outbox_id: str) -> OutboxEntry | None:
        """One entry (with its attachments) by id."""

        def unit(conn: Connection) -> OutboxEntry | None:
            row = conn.execute(select(outbox).where(outbox.c.id == outbox_id)).first()
            return _read(conn, row) if row is not None else None

        return self.db.run_read(unit)

    def by_key(self, key: str) -> OutboxEntry | None:
        """One entry by the sender's key."""

        def unit(conn: Connection) -> OutboxEntry | None:
            row = conn.execute(select(outbox).where(outbox.c.key == key)).first()
            return _read(conn, row) if row is not None else None

        return self.db.run_read(unit)

    def entries(self, *, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxEntry]:
        """Newest first, without attachment bytes (only their names are not needed for a listing)."""
        stmt = select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.id).limit(limit)
        if status is not None:
            stmt = stmt.where(outbox.c.status == status)
        return self.db.run_read(lambda conn: [_read(conn, row, with_files=False) for row in conn.execute(stmt).all()])

    def counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        stmt = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        return {str(status): int(n) for status, n in self.db.run_read(lambda conn: conn.execute(stmt).all())}

    def attempted(
        self, outbox_id: str, *, error: str, next_attempt_at: datetime | None, now: datetime, keep_queued: bool = False
    ) -> None:
        """Record a failed delivery attempt: the error and the next try (None: `failed`, out of attempts;
        with `keep_queued`, still `queued`: not an attempt at all, e.g. no SMTP server configured)."""
        values: dict[str, Any] = {
            "attempts": outbox.c.attempts + (0 if keep_queued else 1),
            "last_error": error[:2000],
            "next_attempt_at": stamp(next_attempt_at) if next_attempt_at else None,
            "status": "queued" if next_attempt_at or keep_queued else "failed",
        }
        stmt = update(outbox).where(outbox.c.id == outbox_id, outbox.c.status != "sent").values(**values)
        self.db.run_write(lambda conn: conn.execute(stmt))

    def delivered(self, outbox_id: str, *, job_key: str, attempt: int, now: datetime) -> None:
        """Mark the message sent and its delivery job done, in one transaction (`JobLeaseLost` when the
        job's claim was lost: nothing is written and the other worker's record stands)."""
        values = {
            "status": "sent",
            "attempts": outbox.c.attempts + 1,
            "next_attempt_at": None,
            "delivered_at": stamp(now),
        }

        def unit(conn: Connection) -> None:
            finish_in(conn, job_key, attempt, now=now)
            conn.execute(update(outbox).where(outbox.c.id == outbox_id, outbox.c.status != "sent").values(**values))

        self.db.run_write(unit)

    def requeue(self, outbox_id: str, *, now: datetime) -> bool:
        """A `failed` message back to `queued` (its delivery job is re-queued by the caller)."""
        stmt = (
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.status == "failed")
            .values(status="queued", next_attempt_at=stamp(now))
        )
        return bool(self.db.run_write(lambda conn: conn.execute(stmt).rowcount) == 1)
