"""Where the audit key and the anchor file come from (the bootstrap, `purser.app`, calls these).

The key (`PURSER_AUDIT_KEY`, settings `audit_key`) is kept outside the database: in the
environment, a secret store, a file only the service can read. Retired keys stay listed in
`audit_previous_keys` so the records they sealed still verify.

Decision for development: when no key is configured and the database is a SQLite *file*, a key
is generated once into `<database>.audit-key` beside it (mode 0600) and used from then on, so a
`make run` demo has a keyed chain; the records sealed before that moment are vouched for by a
checkpoint (`AuditLog.adopt`) written by the process that generated the key. That protects against
someone who can change the database's rows but not read that file; it is not a production key
store, and `purser audit verify` says so every time. With PostgreSQL and no key, nothing is
generated: the chain is sealed unkeyed and `verify` warns that it is forgeable.

The anchor file (`PURSER_AUDIT_ANCHOR`, settings `audit_anchor`) defaults, for a SQLite file, to
`<database>.audit-anchor` beside it; with PostgreSQL there is no default (verify warns).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from purser.knowledge.location import sqlite_file
from purser.ports.audit import AuditKeys, ChainKey

if TYPE_CHECKING:
    from purser.config import Settings

__all__ = ["ANCHOR_SUFFIX", "KEY_SUFFIX", "anchor_path", "load_audit_keys"]

KEY_SUFFIX = ".audit-key"
"""The generated development key's file: the database file's name plus this."""

ANCHOR_SUFFIX = ".audit-anchor"
"""The default anchor file beside a SQLite database: the database file's name plus this."""


def _beside_database(settings: Settings, suffix: str) -> Path | None:
    database = sqlite_file(settings.database_url)
    if database is None:
        return None
    path = Path(database).expanduser()
    return path.with_name(path.name + suffix)


def load_audit_keys(settings: Settings) -> AuditKeys:
    """The keys this process seals and verifies with. `AuditKeyError` for a key that is too short;
    `OSError` when the development key file cannot be read or created."""
    previous = tuple(ChainKey.from_secret(old) for old in settings.audit_previous_keys)
    legacy = settings.audit_legacy_records
    if settings.audit_key:
        return AuditKeys(ChainKey.from_secret(settings.audit_key), previous, "PURSER_AUDIT_KEY", legacy_records=legacy)
    path = _beside_database(settings, KEY_SUFFIX)
    if path is None:
        return AuditKeys(None, previous, "none", legacy_records=legacy)
    secret, created = _read_or_create(path)
    key = ChainKey.from_secret(secret)
    return AuditKeys(key, previous, path.name, generated=True, generated_now=created, legacy_records=legacy)


def _read_or_create(path: Path) -> tuple[str, bool]:
    """The key in `path` and whether this call created it (64 hex characters, mode 0600).

    Written to a private temporary file and linked into place, so a process starting at the same
    moment reads either no file or the whole key, and two such processes agree on one key."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
            created = True
        except FileExistsError:  # another process won: use its key
            created = False
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip(), created


def anchor_path(settings: Settings) -> Path | None:
    """The anchor file: `audit_anchor`, else beside a SQLite database file, else None."""
    if settings.audit_anchor:
        return Path(settings.audit_anchor).expanduser()
    return _beside_database(settings, ANCHOR_SUFFIX)
