"""Verifying the audit chain: every record against its key, then the chain against its checkpoints.

What each check catches (docs/AUDIT.md has the threat model):

- sequence and `prev_hash` links: a deleted, inserted, reordered or swapped record;
- the record's hash: an altered record. A keyed record's HMAC cannot be recomputed without the
  audit key, so a forged record, a rewritten record with the chain recomputed after it, or a
  refund's records removed and the rest renumbered all fail here;
- downgrades: a legacy (unkeyed) record after a keyed one is a forgery, as is a record naming a
  key this process does not hold; with a key configured, an unkeyed record must be vouched for by
  a signed checkpoint (which also says from which record on the chain was keyed) or by
  `audit_legacy_records`, so a chain recomputed whole as unkeyed sha256 fails too;
- the anchor (checkpoints outside the database): every checkpoint's record must still be in the
  chain with the same hash, so deleting the newest records or emptying the table fails, and so
  does recomputing an unkeyed chain; a checkpoint line whose signature does not hold is forged.

`verify_chain` is pure (records in, result out); `AuditLog.verify` feeds it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from purser.audit.anchor import AnchorFile, BadAnchorLine, Checkpoint
from purser.ports.audit import GENESIS, AuditKeys, AuditRecord, UnreadableAuditRecord

__all__ = ["VerifyResult", "verify_chain"]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a chain verification."""

    ok: bool
    """True when every record is intact and every checkpoint still holds."""
    records: int
    """Records checked."""
    bad_seq: int | None = None
    """The first bad record (its position in the chain), when not ok."""
    problem: str | None = None
    """What is wrong with it."""
    keyed: int = 0
    """Records sealed with an audit key (HMAC)."""
    legacy: int = 0
    """Records sealed unkeyed (plain sha256: anyone with write access could recompute them)."""
    checkpoints: int = 0
    """Checkpoints of the anchor file that were checked."""
    warnings: tuple[str, ...] = ()
    """What this verification could not prove (no key, no anchor, unsigned checkpoints, ...)."""
    keyed_from: int | None = None
    """The first keyed record (None when none is)."""


@dataclass
class _Walk:
    """State of one walk along the chain, and what the signed checkpoints promise about it."""

    keys: AuditKeys
    covered: int = 0
    """Unkeyed records up to this seq are vouched for by a signed checkpoint (or `keys.legacy_records`)."""
    keyed_floor: int | None = None
    """A signed checkpoint saw the chain keyed from this record on: no unkeyed record may appear there."""
    adopting: bool = False
    """Accept unkeyed records nothing vouches for yet (the first checkpoint after a key is configured)."""
    prev: str = GENESIS
    count: int = 0
    keyed: int = 0
    legacy: int = 0
    keyed_from: int | None = None

    def problem(self, record: AuditRecord) -> str | None:
        """Why `record` does not belong where it is (None when it does)."""
        if record.seq != self.count:
            return f"expected record {self.count} here (a record was deleted, inserted or reordered)"
        if record.prev_hash != self.prev:
            return "prev_hash does not match the previous record (deleted or reordered)"
        if record.scheme is None:
            return self._unkeyed(record)
        key = self.keys.find(record.key_id)
        if key is None:
            return (
                f"sealed with audit key {record.key_id}, which is not configured (a forged record, or "
                "PURSER_AUDIT_KEY changed: list the old key in audit_previous_keys)"
            )
        self.keyed += 1
        if self.keyed_from is None:
            self.keyed_from = record.seq
        if not hmac.compare_digest(record.computed_hash(key), record.hash):
            return _ALTERED_KEYED
        return None

    def _unkeyed(self, record: AuditRecord) -> str | None:
        if self.keyed:
            return "an unkeyed record after keyed ones (forged, or its hash recomputed without the key)"
        if self.keyed_floor is not None and record.seq >= self.keyed_floor:
            return (
                f"unkeyed, but a signed checkpoint saw the chain keyed from record {self.keyed_floor} on "
                "(the chain was recomputed without the key)"
            )
        if self.keys.current is not None and record.seq > self.covered and not self.adopting:
            return (
                "unkeyed, though an audit key is configured and no signed checkpoint vouches for it (forged, "
                "or sealed before the key: see docs/AUDIT.md, audit_legacy_records)"
            )
        self.legacy += 1
        return None if hmac.compare_digest(record.computed_hash(), record.hash) else _ALTERED


_ALTERED = "content does not match its hash (altered)"
_ALTERED_KEYED = "content does not match its keyed hash (altered, forged, or the chain recomputed without the key)"


def verify_chain(
    walked: Iterable[AuditRecord | UnreadableAuditRecord],
    keys: AuditKeys,
    anchor: AnchorFile | None,
    *,
    adopting: bool = False,
) -> VerifyResult:
    """Walk the chain in order, then hold it against every checkpoint of `anchor`.

    `adopting`: accept unkeyed records no signed checkpoint vouches for (used once, to write the
    first checkpoint of a chain that predates its key)."""
    checkpoints = anchor.read() if anchor is not None else []
    good = [c for c in checkpoints if isinstance(c, Checkpoint)]
    signed = [c for c in good if anchor is not None and anchor.signed(c)]
    floors = [c.keyed_from for c in signed if c.keyed_from is not None]
    walk = _Walk(
        keys,
        covered=max([keys.legacy_records, *(c.seq for c in signed)]),
        keyed_floor=min(floors) if floors else None,
        adopting=adopting,
    )
    pinned = {c.seq for c in good}
    hashes: dict[int, str] = {0: GENESIS}
    for record in walked:
        walk.count += 1
        if isinstance(record, UnreadableAuditRecord):
            return VerifyResult(False, walk.count, record.seq, f"unreadable data: {record.detail}")
        problem = walk.problem(record)
        if problem is not None:
            return VerifyResult(False, walk.count, record.seq, problem, walk.keyed, walk.legacy)
        walk.prev = record.hash
        if record.seq in pinned:
            hashes[record.seq] = record.hash
    warnings = _warnings(keys, anchor, walk)
    for entry in checkpoints:
        failure = _against(entry, anchor, hashes, walk.count)
        if failure is not None:
            bad_seq, problem = failure
            return VerifyResult(False, walk.count, bad_seq, problem, walk.keyed, walk.legacy, len(checkpoints))
        if isinstance(entry, Checkpoint) and anchor is not None and anchor.unknown_key(entry):
            warnings.append(f"checkpoint line {entry.line} is signed with key {entry.key_id}, which is not configured")
    if good and not signed:
        warnings.append(
            "no checkpoint is signed with a key held here: whoever can write the anchor file can forge them"
        )
    return VerifyResult(
        True, walk.count, None, None, walk.keyed, walk.legacy, len(checkpoints), tuple(warnings), walk.keyed_from
    )


def _against(
    entry: Checkpoint | BadAnchorLine, anchor: AnchorFile | None, hashes: dict[int, str], count: int
) -> tuple[int, str] | None:
    """(bad seq, why) when the chain breaks the promise of this checkpoint line."""
    if isinstance(entry, BadAnchorLine):
        return count + 1, f"anchor line {entry.line} is not a checkpoint ({entry.problem}): the anchor file was edited"
    assert anchor is not None
    forged = anchor.signature_problem(entry)
    if forged is not None:
        return count + 1, f"anchor line {entry.line}: {forged}"
    if entry.seq > count:
        return (
            count + 1,
            f"missing: the checkpoint of {entry.at} (anchor line {entry.line}) saw {entry.seq} record(s), "
            f"the chain has {count} (the newest records were deleted, or the table emptied)",
        )
    if hashes.get(entry.seq) != entry.head:
        return (
            entry.seq,
            f"does not match the checkpoint of {entry.at} (anchor line {entry.line}): the chain up to here "
            "was rewritten and recomputed",
        )
    return None


def _warnings(keys: AuditKeys, anchor: AnchorFile | None, walk: _Walk) -> list[str]:
    """What this verification cannot prove, in words (printed loudly by `purser audit verify`)."""
    found: list[str] = []
    if keys.current is None:
        found.append(
            "UNKEYED: no audit key is configured (PURSER_AUDIT_KEY): anyone who can write the database can "
            "recompute the chain, so a forged or rewritten chain verifies"
        )
    elif keys.generated:
        found.append(
            f"the audit key is the development key generated into {keys.source}: whoever can read that file can "
            "forge records; set PURSER_AUDIT_KEY from a secret store in production"
        )
    if keys.current is not None and walk.legacy:
        found.append(
            f"records 1..{walk.legacy} were sealed before the audit key was configured (plain sha256): "
            "only checkpoints written since protect them"
        )
    if anchor is None:
        found.append(
            "NO ANCHOR: no checkpoint file is configured (PURSER_AUDIT_ANCHOR): deleting the newest records "
            "or emptying the table cannot be detected"
        )
    elif not anchor.path.exists():
        found.append(f"no checkpoint written yet to {anchor.path.name} (run `purser audit checkpoint`)")
    return found
