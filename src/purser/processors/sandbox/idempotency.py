"""Idempotent writes: the same key with the same parameters returns the first result and changes nothing.

The stored response is the encoded result (see `rows.encode`), or the error when the
write recorded something and then failed (a declined retry). Errors that roll the
transaction back (bad arguments) store nothing, as at Stripe, so the key can be reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from purser.processors import errors
from purser.processors.errors import IdempotencyError, InvalidRequest, ProcessorError
from purser.processors.sandbox import events, rows
from purser.processors.sandbox.clock import to_db
from purser.store import Database
from purser.store import sandbox_tables as t

T = TypeVar("T")


class RecordedFailure(Exception):
    """Raised inside a write to commit what was recorded and then raise `error` to the caller."""

    def __init__(self, error: ProcessorError) -> None:
        super().__init__(str(error))
        self.error = error


def request_hash(operation: str, params: dict[str, Any]) -> str:
    """SHA-256 of the operation and its canonical parameters."""
    text = json.dumps({"op": operation, "params": rows.encode(params)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > 255:
        raise InvalidRequest("idempotency_key must be a non-empty string of at most 255 characters")


def _replay(stored: dict[str, Any]) -> Any:
    if "error" in stored:
        err = stored["error"]
        cls = getattr(errors, err["type"], ProcessorError)
        raise cls(err["message"], code=err["code"])
    return rows.decode(stored["ok"])


def run(
    db: Database,
    key: str,
    operation: str,
    params: dict[str, Any],
    fn: Callable[[Connection], T],
    now: Callable[[Connection], Any],
    after_commit: Callable[[T], None] | None = None,
) -> T:
    """Run `fn` in one write transaction under idempotency `key`.

    `after_commit` runs once, after the first successful commit (never on a replay): side effects
    outside the database, such as handing an email to the mailer."""
    _check_key(key)
    digest = request_hash(operation, params)
    for attempt in range(2):
        try:
            result, fresh = _once(db, key, operation, digest, fn, now)
            if fresh and after_commit is not None:
                after_commit(result)
            return result
        except IntegrityError as exc:
            # A concurrent request with the same key committed first: replay its result.
            if attempt == 1:
                raise errors.Conflict(f"concurrent requests with idempotency key {key!r}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


_BY_KEY = select(t.idempotency).where(t.idempotency.c.key == bindparam("key"))
_INSERT = insert(t.idempotency)


def _once(
    db: Database,
    key: str,
    operation: str,
    digest: str,
    fn: Callable[[Connection], T],
    now: Callable[[Connection], Any],
) -> tuple[T, bool]:
    def unit(conn: Connection) -> tuple[Any, bool, ProcessorError | None]:
        # One transaction; `Database.run_write` runs it again if its connection was dropped, or
        # PostgreSQL aborted it as a deadlock victim / serialization failure, before the commit (so
        # nothing of it was written). Safe: the unit is keyed, and its mail goes out after the commit.
        found = conn.execute(_BY_KEY, {"key": key}).first()
        if found is not None:
            if found.request_hash != digest:
                raise IdempotencyError(
                    f"idempotency key {key!r} was already used for a different request ({found.operation})"
                )
            return _replay(found.response), False, None
        failure: ProcessorError | None = None
        result: Any = None
        # The write's events are inserted together at its end (one executemany): when it succeeds,
        # and when it recorded something before failing (RecordedFailure); never after an error
        # that rolls it back.
        with events.collect(conn) as pending:
            try:
                result = fn(conn)
                response: dict[str, Any] = {"ok": rows.encode(result)}
            except RecordedFailure as recorded:
                failure = recorded.error
                error = {"type": type(failure).__name__, "message": failure.message, "code": failure.code}
                response = {"error": error}
        events.flush(conn, pending)
        row = {"key": key, "operation": operation, "request_hash": digest, "response": response}
        conn.execute(_INSERT, {**row, "created": to_db(now(conn))})
        return result, True, failure

    result, fresh, failure = db.run_write(unit, retry_conflicts=True)
    if failure is not None:
        raise failure
    return result, fresh
