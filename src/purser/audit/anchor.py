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
fsynced: two processes checkpointing at once never interleave a line. A last line torn by a crash
(no newline) stays a bad line of its own: the next checkpoint starts on a new line. Without an audit
key the lines carry no signature (`sig` null): they still catch an attacker who can write the
database but not this file, and `verify` says they are unsigned.

The periodic job asks for the newest checkpoint every minute and the file only grows, so `last` and
`append` read it from the end: only the lines they need are parsed, and its lines are counted once
per process (afterwards, only what was appended since is counted). `read` (what `verify` checks)
still reads every line.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import os
from collections.abc import Iterator
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


CHUNK = 64 * 1024
"""How many bytes the file is read in at a time (from the end by `last`, from where it was counted
last when lines are counted)."""

_FINGERPRINT = 64
"""How many bytes before the end of the counted part are kept to notice that the file was rewritten."""


@dataclass(frozen=True, slots=True)
class _Counted:
    """The lines counted in the first `upto` bytes of one file (device and inode)."""

    file: tuple[int, int]
    upto: int
    newlines: int
    tail: bytes
    """The `_FINGERPRINT` bytes before `upto`: when they changed, the file was rewritten, not appended to."""


def _lines_backward(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    """The lines of the first `end` bytes of `fd`, newest first, as (offset of the line's first byte,
    the line without its newline), read `CHUNK` bytes at a time from the end."""
    pos, carry = end, b""
    while pos > 0:
        step = min(CHUNK, pos)
        pos -= step
        pieces = (os.pread(fd, step, pos) + carry).split(b"\n")
        carry = pieces[0]  # its start may lie in the chunk before
        starts, offset = [], pos + len(carry) + 1
        for piece in pieces[1:]:
            starts.append((offset, piece))
            offset += len(piece) + 1
        yield from reversed(starts)
    yield 0, carry


class AnchorFile:
    """The append-only checkpoint file at `path`, signed with `keys.current` when there is one."""

    def __init__(self, path: Path, keys: AuditKeys) -> None:
        self.path = path
        self.keys = keys
        self._counted: _Counted | None = None

    def append(self, head: ChainHead, keyed_from: int | None) -> Checkpoint:
        """Write one checkpoint for `head` (created 0600 with its folder when missing); returns it."""
        key = self.keys.current
        unsigned = Checkpoint(0, head.seq, head.hash, utc_now_iso(), key.key_id if key else None, keyed_from, None)
        sig = key.mac(unsigned.signed_payload()) if key is not None else None
        line = (replace(unsigned, sig=sig).to_line() + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            end = os.fstat(fd).st_size  # under the lock: no other checkpoint lands before this one
            if end and os.pread(fd, 1, end - 1) != b"\n":
                line = b"\n" + line  # a torn last line (a crash mid-write) stays a line of its own
            os.write(fd, line)
            os.fsync(fd)
            number = self._lines_before(fd, end) + (2 if line.startswith(b"\n") else 1)
        finally:
            os.close(fd)  # closing releases the lock
        return replace(unsigned, line=number, sig=sig)

    def read(self) -> list[Checkpoint | BadAnchorLine]:
        """Every line, in file order (an empty list when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [_parse(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]

    def last(self) -> Checkpoint | None:
        """The newest well-formed checkpoint, if any (read from the end of the file: lines before it
        are not parsed)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            for start, raw in _lines_backward(fd, os.fstat(fd).st_size):
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    continue  # not a checkpoint either
                entry = _parse(0, text)
                if isinstance(entry, Checkpoint):
                    return replace(entry, line=self._lines_before(fd, start) + 1)
            return None
        finally:
            os.close(fd)

    def _lines_before(self, fd: int, offset: int) -> int:
        """How many newlines the first `offset` bytes of `fd` hold. The file only grows, so the count is
        kept and the next call counts only the bytes appended since; a file replaced (another inode),
        shorter than what was counted, or whose counted bytes changed at their end is counted afresh."""
        status = os.fstat(fd)
        file = (status.st_dev, status.st_ino)
        start, newlines = 0, 0
        known = self._counted
        if (
            known is not None
            and known.file == file
            and known.upto <= offset
            and os.pread(fd, len(known.tail), known.upto - len(known.tail)) == known.tail
        ):
            start, newlines = known.upto, known.newlines
        pos = start
        while pos < offset:
            chunk = os.pread(fd, min(CHUNK, offset - pos), pos)
            if not chunk:
                break  # the file is shorter than `offset`: count what is there
            newlines += chunk.count(b"\n")
            pos += len(chunk)
        tail = os.pread(fd, min(_FINGERPRINT, pos), pos - min(_FINGERPRINT, pos))
        self._counted = _Counted(file, pos, newlines, tail)
        return newlines

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
