"""Checkpoints of the audit chain kept outside the database (`PURSER_AUDIT_ANCHOR`).

The anchor is an append-only file of JSON lines, one per checkpoint:

    {"at":"2026-12-07T05:10:00.123456Z","head":"<hash of record seq>","key_id":"<16 hex>","keyed_from":1,
     "seq":1200,"sig":"<hex>"}

`sig` is HMAC-SHA256 with the audit key over the canonical JSON of the other fields (after a fixed
label, so a record's MAC can never pass for a checkpoint's). A checkpoint says "the chain had `seq`
records, its last hash was `head`, and its records were keyed from `keyed_from` on" (null: none
were): whatever the database holds later must still have that record with that hash, and no
unkeyed record at or after `keyed_from`. Deleting the newest records, emptying the table,
recomputing the chain or downgrading it to unkeyed hashes breaks that promise, and
`AuditLog.verify` says which checkpoint saw what.

Lines are appended with one `write` on a file opened `O_APPEND` under an exclusive `flock`, then
fsynced: two processes checkpointing at once never interleave a line. Without an audit key the
lines carry no signature (`sig` null): they still catch an attacker who can write the database but
not this file, and `verify` says they are unsigned.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from purser.ports.audit import AuditKeys, ChainHead, canonical_json, utc_now_iso

__all__ = ["ANCHOR_LABEL", "AnchorFile", "BadAnchorLine", "Checkpoint"]

ANCHOR_LABEL = b"purser audit checkpoint\n"
"""Prefix of every signed checkpoint payload (domain separation from record MACs)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One line of the anchor file."""

    line: int
    """Its line number in the file, from 1."""
    seq: int
    """How many records the chain had (the last record's seq)."""
    head: str
    """The hash of record `seq` (GENESIS for an empty chain)."""
    at: str
    """When it was written (wall clock, ISO 8601 UTC)."""
    key_id: str | None
    """The key that signed it; None for an unsigned line (no key configured)."""
    keyed_from: int | None
    """The first keyed record of the chain it saw (None: every record was unkeyed)."""
    sig: str | None
    """HMAC-SHA256 hex over `signed_payload()`; None when unsigned."""

    def body(self) -> dict[str, object]:
        """The signed fields."""
        return {"at": self.at, "head": self.head, "key_id": self.key_id, "keyed_from": self.keyed_from, "seq": self.seq}

    def signed_payload(self) -> bytes:
        """What `sig` is computed over."""
        return ANCHOR_LABEL + canonical_json(self.body()).encode("utf-8")

    def to_line(self) -> str:
        """The JSON line (without the newline)."""
        return canonical_json({**self.body(), "sig": self.sig})


@dataclass(frozen=True, slots=True)
class BadAnchorLine:
    """A line of the anchor file that is not a checkpoint (edited, truncated, garbage)."""

    line: int
    """Its line number, from 1."""
    problem: str
    """What is wrong with it."""


def _parse(number: int, text: str) -> Checkpoint | BadAnchorLine:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return BadAnchorLine(number, f"not JSON ({exc.msg})")
    except ValueError:  # e.g. an integer too long to convert
        return BadAnchorLine(number, "not JSON")
    if not isinstance(raw, dict):
        return BadAnchorLine(number, "not a JSON object")
    seq, head, at, key_id, keyed_from, sig = (raw.get(k) for k in ("seq", "head", "at", "key_id", "keyed_from", "sig"))
    if type(seq) is not int or seq < 0:
        return BadAnchorLine(number, "seq is not a count of records")
    if keyed_from is not None and (type(keyed_from) is not int or keyed_from < 1):
        return BadAnchorLine(number, "keyed_from is not a record number")
    if not isinstance(head, str) or len(head) != 64 or not isinstance(at, str):
        return BadAnchorLine(number, "head or at missing")
    if not (key_id is None or isinstance(key_id, str)) or not (sig is None or isinstance(sig, str)):
        return BadAnchorLine(number, "key_id or sig is not a string")
    if (key_id is None) != (sig is None):
        return BadAnchorLine(number, "key_id and sig must be both present or both null")
    return Checkpoint(number, seq, head, at, key_id, keyed_from, sig)


class AnchorFile:
    """The append-only checkpoint file at `path`, signed with `keys.current` when there is one."""

    def __init__(self, path: Path, keys: AuditKeys) -> None:
        self.path = path
        self.keys = keys

    def append(self, head: ChainHead, keyed_from: int | None) -> Checkpoint:
        """Write one checkpoint for `head` (created 0600 with its folder when missing); returns it."""
        key = self.keys.current
        unsigned = Checkpoint(0, head.seq, head.hash, utc_now_iso(), key.key_id if key else None, keyed_from, None)
        sig = key.mac(unsigned.signed_payload()) if key is not None else None
        line = replace(unsigned, sig=sig).to_line() + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        number = len(self.path.read_text(encoding="utf-8").splitlines())
        return replace(unsigned, line=number, sig=sig)

    def read(self) -> list[Checkpoint | BadAnchorLine]:
        """Every line, in file order (an empty list when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [_parse(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]

    def last(self) -> Checkpoint | None:
        """The newest well-formed checkpoint, if any."""
        for entry in reversed(self.read()):
            if isinstance(entry, Checkpoint):
                return entry
        return None

    def signed(self, checkpoint: Checkpoint) -> bool:
        """True when `checkpoint` carries a signature that holds under a key this process holds."""
        return (
            checkpoint.sig is not None and not self.unknown_key(checkpoint) and not self.signature_problem(checkpoint)
        )

    def signature_problem(self, checkpoint: Checkpoint) -> str | None:
        """Why `checkpoint`'s signature does not hold (None when it does, or it is unsigned, or signed
        with a key this process does not hold: see `unknown_key`)."""
        if checkpoint.sig is None:
            return None
        key = self.keys.find(checkpoint.key_id)
        if key is None:
            return None
        if not hmac.compare_digest(key.mac(checkpoint.signed_payload()), checkpoint.sig):
            return "its signature does not match (the line was forged or edited)"
        return None

    def unknown_key(self, checkpoint: Checkpoint) -> bool:
        """True when `checkpoint` is signed with a key this process does not hold."""
        return checkpoint.sig is not None and self.keys.find(checkpoint.key_id) is None
