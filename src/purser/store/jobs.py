"""The `jobs` table's repository: insert once per key, claim atomically with a lease, finish, retry.

Every state change is one conditional UPDATE, so two workers racing for a job cannot both win:
SQLite serializes writers, and PostgreSQL re-checks an UPDATE's WHERE clause on the row a concurrent
transaction just committed. A claim is fenced by its attempt number: `finish` and `finish_in` only
succeed for the attempt that still holds the job.

Handlers whose effect is a write to our database record it and the job's completion in ONE
transaction with `finish_in(conn, ctx.key, ctx.attempt)` (from their own repository in `purser.store`):
either both are committed or neither, so a re-run after a crash finds the job done.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from purser.ports.jobs import JobLeaseLost, JobRecord, JobStatus, Payload
from purser.store.db import Database
from purser.store.jobs_tables import jobs

__all__ = ["JobStore", "finish_in", "insert_in", "parse_stamp", "stamp"]

_CLAIMABLE = ("queued", "failed")


def stamp(moment: datetime) -> str:
    """`moment` as the tables store it: UTC, microseconds, sortable as text."""
    if moment.tzinfo is None:
        raise ValueError("expected an aware datetime (UTC)")
    m = moment.astimezone(UTC)
    # Written out, not strftime: %Y does not zero-pad years before 1000 on every platform.
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}Z"


def parse_stamp(value: str) -> datetime:
    """The datetime of a stored stamp."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _maybe(value: str | None) -> datetime | None:
    return parse_stamp(value) if value else None


def _record(row: Any) -> JobRecord:
    return JobRecord(
        key=row.key,
        kind=row.kind,
        payload=cast(Payload, json.loads(row.payload)),
        status=cast(JobStatus, row.status),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_at=parse_stamp(row.run_at),
        lease_until=_maybe(row.lease_until),
        last_error=row.last_error,
        created_at=parse_stamp(row.created_at),
        finished_at=_maybe(row.finished_at),
    )


def _done_values(now: datetime) -> dict[str, Any]:
    moment = stamp(now)
    return {"status": "done", "lease_until": None, "updated_at": moment, "finished_at": moment}


def finish_in(conn: Connection, key: str, attempt: int, *, now: datetime | None = None) -> None:
    """Mark the job done inside the caller's transaction; `JobLeaseLost` (roll back!) when this attempt
    no longer holds it. The runner then sees the job done and leaves it."""
    held = and_(jobs.c.key == key, jobs.c.attempts == attempt, jobs.c.status == "running")
    changed = conn.execute(update(jobs).where(held).values(**_done_values(now or datetime.now(UTC)))).rowcount
    if changed != 1:
        raise JobLeaseLost(f"job {key!r} attempt {attempt} no longer holds its lease")


def insert_in(
    conn: Connection, kind: str, payload: Mapping[str, Any], *, key: str, run_at: datetime, max_attempts: int
) -> bool:
    """Add a queued job inside the caller's transaction; False (nothing added) when `key` exists.
    The caller hands the key to the queue after its commit (`HueyJobQueue.announce`); if it dies
    before that, the sweeper does."""
    if conn.execute(select(jobs.c.key).where(jobs.c.key == key)).first() is not None:
        return False
    now = stamp(datetime.now(UTC))
    row = {
        "key": key,
        "kind": kind,
        "payload": json.dumps(dict(payload), sort_keys=True),
        "status": "queued",
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": stamp(run_at),
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(insert(jobs).values(**row))
    return True


class JobStore:
    """SQL repository of `jobs` rows (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, kind: str, payload: Mapping[str, Any], *, key: str, run_at: datetime, max_attempts: int) -> bool:
        """Add a queued job; False (nothing added) when `key` exists."""
        try:
            return self.db.run_write(
                lambda conn: insert_in(conn, kind, payload, key=key, run_at=run_at, max_attempts=max_attempts)
            )
        except IntegrityError:
            return False  # a concurrent enqueue of the same key committed first

    def claim(
        self, key: str, *, now: datetime, due_by: datetime, lease_seconds: int, kinds: Collection[str]
    ) -> JobRecord | None:
        """Take the job for one attempt (queued/failed and due by `due_by`, or running with its lease over
        at `now`); None when it is not claimable (done, dead, not due, another worker holds it, or its kind
        is not among `kinds`, the ones this process can run)."""
        claimable = or_(
            and_(jobs.c.status.in_(_CLAIMABLE), jobs.c.run_at <= stamp(due_by)),
            and_(jobs.c.status == "running", jobs.c.lease_until < stamp(now)),
        )
        values = {
            "status": "running",
            "attempts": jobs.c.attempts + 1,
            "lease_until": stamp(now + timedelta(seconds=lease_seconds)),
            "updated_at": stamp(now),
        }

        def unit(conn: Connection) -> JobRecord | None:
            mine = jobs.c.kind.in_(list(kinds))
            if conn.execute(update(jobs).where(jobs.c.key == key, mine, claimable).values(**values)).rowcount != 1:
                return None
            return _record(conn.execute(select(jobs).where(jobs.c.key == key)).one())

        return self.db.run_write(unit)

    def finish(self, key: str, attempt: int, *, now: datetime) -> bool:
        """Mark done unless a handler already did (`finish_in`); False when the claim was lost."""

        def unit(conn: Connection) -> bool:
            held = and_(jobs.c.key == key, jobs.c.attempts == attempt, jobs.c.status == "running")
            if conn.execute(update(jobs).where(held).values(**_done_values(now))).rowcount == 1:
                return True
            row = conn.execute(select(jobs.c.status, jobs.c.attempts).where(jobs.c.key == key)).first()
            return row is not None and row.status == "done" and row.attempts == attempt

        return self.db.run_write(unit)

    def fail(self, key: str, attempt: int, *, error: str, retry_at: datetime | None, now: datetime) -> JobStatus | None:
        """Record a failed attempt: `failed` with the retry at `retry_at`, or `dead` when None.
        None when this attempt no longer held the job (nothing changed)."""
        status: JobStatus = "failed" if retry_at is not None else "dead"
        values: dict[str, Any] = {
            "status": status,
            "lease_until": None,
            "last_error": error[:2000],
            "updated_at": stamp(now),
            "finished_at": None if retry_at is not None else stamp(now),
        }
        if retry_at is not None:
            values["run_at"] = stamp(retry_at)
        held = and_(jobs.c.key == key, jobs.c.attempts == attempt, jobs.c.status == "running")
        changed = self.db.run_write(lambda conn: conn.execute(update(jobs).where(held).values(**values)).rowcount)
        return status if changed == 1 else None

    def due(self, *, due_by: datetime, now: datetime, kinds: Collection[str], limit: int = 100) -> list[str]:
        """Keys of claimable jobs of `kinds`, oldest due first (what `run_due` runs)."""
        claimable = or_(
            and_(jobs.c.status.in_(_CLAIMABLE), jobs.c.run_at <= stamp(due_by)),
            and_(jobs.c.status == "running", jobs.c.lease_until < stamp(now)),
        )
        stmt = select(jobs.c.key).where(claimable, jobs.c.kind.in_(list(kinds)))
        stmt = stmt.order_by(jobs.c.run_at, jobs.c.created_at, jobs.c.key).limit(limit)
        return list(self.db.run_read(lambda conn: conn.execute(stmt).scalars().all()))

    def lost(self, *, now: datetime, grace_seconds: int, limit: int = 500) -> list[tuple[str, datetime]]:
        """Jobs a worker should have taken by now but has not (its Huey message was lost with a killed
        process, or never pushed): overdue by `grace_seconds` and not pushed in that time, or running
        with an expired lease. Returns (key, run_at) and marks them pushed now."""
        horizon = stamp(now - timedelta(seconds=grace_seconds))
        not_recent = or_(jobs.c.pushed_at.is_(None), jobs.c.pushed_at <= horizon)
        overdue = or_(
            and_(jobs.c.status.in_(_CLAIMABLE), jobs.c.run_at <= horizon),
            and_(jobs.c.status == "running", jobs.c.lease_until < stamp(now)),
        )

        def unit(conn: Connection) -> list[tuple[str, datetime]]:
            stmt = select(jobs.c.key, jobs.c.run_at).where(overdue, not_recent).order_by(jobs.c.run_at).limit(limit)
            found = [(row.key, parse_stamp(row.run_at)) for row in conn.execute(stmt)]
            if found:
                keys = [key for key, _ in found]
                conn.execute(update(jobs).where(jobs.c.key.in_(keys)).values(pushed_at=stamp(now)))
            return found

        return self.db.run_write(unit)

    def mark_pushed(self, key: str, *, now: datetime) -> None:
        """Remember when the job was last handed to Huey."""
        self.db.run_write(lambda conn: conn.execute(update(jobs).where(jobs.c.key == key).values(pushed_at=stamp(now))))

    def get(self, key: str) -> JobRecord | None:
        """One job by key."""
        row = self.db.run_read(lambda conn: conn.execute(select(jobs).where(jobs.c.key == key)).first())
        return _record(row) if row is not None else None

    def records(self, *, status: JobStatus | None = None, limit: int = 100) -> list[JobRecord]:
        """The newest jobs first (only those with `status` when given)."""
        stmt = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.key).limit(limit)
        if status is not None:
            stmt = stmt.where(jobs.c.status == status)
        return [_record(row) for row in self.db.run_read(lambda conn: conn.execute(stmt).all())]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each status."""
        from sqlalchemy import func

        stmt = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        return {str(status): int(n) for status, n in self.db.run_read(lambda conn: conn.execute(stmt).all())}

    def requeue(self, key: str, *, now: datetime) -> bool:
        """Give a dead job a fresh set of attempts, due now; False unless it was dead."""
        values = {
            "status": "queued",
            "attempts": 0,
            "run_at": stamp(now),
            "updated_at": stamp(now),
            "finished_at": None,
        }
        stmt = update(jobs).where(jobs.c.key == key, jobs.c.status == "dead").values(**values)
        return bool(self.db.run_write(lambda conn: conn.execute(stmt).rowcount) == 1)
