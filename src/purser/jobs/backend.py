"""Which Huey the settings select: Redis (`PURSER_REDIS_URL`), else a SQLite file, else memory.

- `redis_url` set → `RedisHuey` named `jobs.name` (its keys are prefixed with it): any number of
  `purser worker` processes on any machines share it.
- a SQLite database file → `SqliteHuey` in `<database>.jobs.db` next to it (or `jobs.path`):
  consumed by the thread inside `purser serve`, or by `purser worker` on the same machine.
- PostgreSQL without Redis → `SqliteHuey` in `jobs.path`, default `purser-jobs.db` in the working
  directory (one machine; set `PURSER_REDIS_URL` for more).
- an in-memory database (gym worlds, tests) → `MemoryHuey` (nothing outlives the process anyway).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from purser.config import Settings
from purser.errors import PurserError

__all__ = ["QueueConfigError", "describe", "make_huey", "queue_file"]

_MEMORY_URLS = ("sqlite://", "sqlite:///:memory:")


class QueueConfigError(PurserError, ValueError):
    """The job queue's configuration is wrong (a bad Redis URL, a queue file in a missing folder)."""

    code = "queue_configuration_error"
    status = 503


def queue_file(settings: Settings) -> Path | None:
    """The embedded queue's file, or None when the queue lives in Redis or in memory."""
    if settings.redis_url:
        return None
    if settings.jobs.path:
        return Path(settings.jobs.path)
    url = settings.database_url
    if url in _MEMORY_URLS:
        return None
    if url.startswith("sqlite:///"):
        database = Path(url[len("sqlite:///") :])
        return (
            database.with_name(database.name + ".jobs.db")
            if database.suffix != ".db"
            else database.with_suffix(".jobs.db")
        )
    return Path("purser-jobs.db")


def make_huey(settings: Settings) -> Huey:
    """The Huey instance for `settings` (see the module docstring); results are not kept (our table is)."""
    name = settings.jobs.name
    if settings.redis_url:
        parts = urlsplit(settings.redis_url)
        if parts.scheme not in ("redis", "rediss", "unix") or (parts.scheme != "unix" and not parts.hostname):
            raise QueueConfigError(
                f"redis_url: expected a URL like redis://127.0.0.1:6379/0, got scheme {parts.scheme!r}"
            )
        return RedisHuey(name, url=settings.redis_url, results=False, blocking=True, read_timeout=1)
    path = queue_file(settings)
    if path is None:
        return MemoryHuey(name, results=False)
    if not path.parent.exists():
        raise QueueConfigError(f"jobs.path: the folder of {str(path)!r} does not exist")
    return SqliteHuey(name, filename=str(path), results=False)


def describe(settings: Settings) -> str:
    """Where the queue lives, for log lines (never a password)."""
    if settings.redis_url:
        parts = urlsplit(settings.redis_url)
        return f"Redis at {parts.hostname}:{parts.port or 6379}{parts.path or ''} (queue {settings.jobs.name!r})"
    path = queue_file(settings)
    return f"SQLite file {path}" if path is not None else "memory (this process only)"
