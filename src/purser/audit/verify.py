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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from purser.audit.anchor import AnchorFile, BadAnchorLine, Checkpoint
from purser.ports.audit import GENESIS, AuditKeys, AuditRecord, UnreadableAuditRecord
from purser.ports.audit_pages import PAGE_SIZE, AuditPages, Walked

__all__ = ["VerifyResult", "verify_chain", "verify_since_checkpoint", "walk_pages"]


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
    head: str = GENESIS
    """The hash of the last record walked (of record `records` when ok): what a checkpoint anchors."""
    start: int = 0
    """Records 1..start were not re-read: a trusted checkpoint vouched for them (0: the whole chain was walked)."""


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


def walk_pages(
    pages: AuditPages, *, after: int = 0, upto: int | None = None, size: int = PAGE_SIZE
) -> Iterator[Walked]:
    """The chain's records after `after` (up to `upto` when given), read one page of `size` at a time."""
    while upto is None or after < upto:
        page = pages.page(after, size if upto is None else min(size, upto - after))
        if not page:
            return
        yield from page
        if len(page) < size:
            return
        after = page[-1].seq


def verify_chain(
    walked: Iterable[Walked],
    keys: AuditKeys,
    anchor: AnchorFile | None,
    *,
    adopting: bool = False,
) -> VerifyResult:
    """Walk the chain in order, then hold it against every checkpoint of `anchor`.

    `walked` is consumed once, in order (a generator of pages holds one page at a time);
    `adopting`: accept unkeyed records no signed checkpoint vouches for (used once, to write the
    first checkpoint of a chain that predates its key)."""
    checkpoints = anchor.read() if anchor is not None else []
    good = [c for c in checkpoints if isinstance(c, Checkpoint)]
    walk = _start(keys, anchor, good, adopting=adopting)
    hashes: dict[int, str] = {0: GENESIS}
    failed = _walk_on(walk, walked, {c.seq for c in good}, hashes)
    if failed is not None:
        return failed
    return _held(walk, keys, anchor, checkpoints, checkpoints, hashes)


def verify_since_checkpoint(
    pages: AuditPages, keys: AuditKeys, anchor: AnchorFile, head: Callable[[], int], *, size: int = PAGE_SIZE
) -> VerifyResult | None:
    """Verify what the newest trusted checkpoint of `anchor` did not see: its own record still there
    with its hash, then the records after it up to the chain's head, in pages.

    `head()` is read after the anchor file (so no line of it can have seen more than the walk), and
    the walk stops there: records appended meanwhile wait for the next checkpoint.

    The trusted checkpoint is the newest one signed with a key held here, or, when no key is held at
    all, the newest well-formed line. Every line must still be well formed with a signature that
    holds, and lines written after it are held against the chain too. Records before it are not
    re-read: the process that wrote it verified them, and `verify_chain` (`purser audit verify`)
    still walks them all. None when there is no such checkpoint (the caller verifies the whole chain)."""
    checkpoints = anchor.read()
    good = [c for c in checkpoints if isinstance(c, Checkpoint)]
    signed = [c for c in good if anchor.signed(c)]
    no_key = keys.current is None and not keys.previous
    base = signed[-1] if signed else (good[-1] if good and no_key else None)
    if base is None:
        return None
    upto = head()
    walk = _start(keys, anchor, good, adopting=False)
    for entry in checkpoints:  # the whole file is checked as it is (no chain needed for that)
        failure = _line_problem(entry, anchor, upto)
        if failure is not None:
            return VerifyResult(False, upto, *failure)
    hashes = {0: GENESIS, base.seq: base.head}
    failure = _base_problem(pages, keys, base)
    if failure is not None:
        return VerifyResult(False, upto, *failure)
    # Only a signed line's word on where the keyed records begin counts (as in `verify_chain`); an
    # unsigned base (no key held at all) vouches for an unkeyed prefix, as every record here must be.
    keyed_from = base.keyed_from if anchor.signed(base) else None
    walk.count, walk.prev, walk.keyed_from = base.seq, base.head, keyed_from
    walk.legacy = base.seq if keyed_from is None else keyed_from - 1
    walk.keyed = base.seq - walk.legacy
    failed = _walk_on(walk, walk_pages(pages, after=base.seq, upto=upto, size=size), _pins(good, base), hashes)
    if failed is not None:
        return failed
    if walk.count < upto:
        return VerifyResult(
            False,
            walk.count,
            walk.count + 1,
            f"missing: the chain had {upto} record(s) when this verification began, now {walk.count} "
            "(the newest records were deleted)",
            walk.keyed,
            walk.legacy,
        )
    later = [e for e in checkpoints if e.line > base.line]
    for entry in later:  # pinned before `base`: each read on its own (rare: lines written after it)
        if isinstance(entry, Checkpoint) and entry.seq < base.seq and entry.seq not in hashes:
            found = pages.page(entry.seq - 1, 1) if entry.seq > 0 else []
            if found and found[0].seq == entry.seq and isinstance(found[0], AuditRecord):
                hashes[entry.seq] = found[0].hash
    result = _held(walk, keys, anchor, checkpoints, later, hashes)
    return replace(result, start=base.seq)


def _pins(good: list[Checkpoint], base: Checkpoint) -> set[int]:
    return {c.seq for c in good if c.seq > base.seq}


def _start(keys: AuditKeys, anchor: AnchorFile | None, good: list[Checkpoint], *, adopting: bool) -> _Walk:
    """A walk at the chain's start, with what the signed checkpoints promise about it."""
    signed = [c for c in good if anchor is not None and anchor.signed(c)]
    floors = [c.keyed_from for c in signed if c.keyed_from is not None]
    return _Walk(
        keys,
        covered=max([keys.legacy_records, *(c.seq for c in signed)]),
        keyed_floor=min(floors) if floors else None,
        adopting=adopting,
    )


def _walk_on(walk: _Walk, walked: Iterable[Walked], pinned: set[int], hashes: dict[int, str]) -> VerifyResult | None:
    """Advance `walk` over `walked`, noting the hashes of `pinned` records; the failure, if any."""
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
    return None


def _held(
    walk: _Walk,
    keys: AuditKeys,
    anchor: AnchorFile | None,
    checkpoints: list[Checkpoint | BadAnchorLine],
    checked: list[Checkpoint | BadAnchorLine],
    hashes: dict[int, str],
) -> VerifyResult:
    """The walked chain held against the `checked` lines of the anchor; warnings from all of them."""
    warnings = _warnings(keys, anchor, walk)
    for entry in checked:
        failure = _against(entry, anchor, hashes, walk.count)
        if failure is not None:
            bad_seq, problem = failure
            return VerifyResult(False, walk.count, bad_seq, problem, walk.keyed, walk.legacy, len(checkpoints))
    for entry in checkpoints:
        if isinstance(entry, Checkpoint) and anchor is not None and anchor.unknown_key(entry):
            warnings.append(f"checkpoint line {entry.line} is signed with key {entry.key_id}, which is not configured")
    good = [c for c in checkpoints if isinstance(c, Checkpoint)]
    if good and not any(anchor is not None and anchor.signed(c) for c in good):
        warnings.append(
            "no checkpoint is signed with a key held here: whoever can write the anchor file can forge them"
        )
    return VerifyResult(
        True,
        walk.count,
        None,
        None,
        walk.keyed,
        walk.legacy,
        len(checkpoints),
        tuple(warnings),
        walk.keyed_from,
        walk.prev,
    )


def _line_problem(entry: Checkpoint | BadAnchorLine, anchor: AnchorFile, upto: int) -> tuple[int, str] | None:
    """(bad seq, why) when an anchor line is not a checkpoint, is forged, or saw more than the chain has."""
    if isinstance(entry, BadAnchorLine) or anchor.signature_problem(entry) is not None or entry.seq > upto:
        return _against(entry, anchor, {}, upto)
    return None


def _base_problem(pages: AuditPages, keys: AuditKeys, base: Checkpoint) -> tuple[int, str] | None:
    """(bad seq, why) when the record `base` vouches for is gone, altered or no longer its hash."""
    if base.seq == 0:
        return None
    found = pages.page(base.seq - 1, 1)
    record = found[0] if found and found[0].seq == base.seq else None
    if record is None:
        return base.seq, f"expected record {base.seq} here (a record was deleted, inserted or reordered)"
    if isinstance(record, UnreadableAuditRecord):
        return base.seq, f"unreadable data: {record.detail}"
    if record.hash != base.head:
        return (
            base.seq,
            f"does not match the checkpoint of {base.at} (anchor line {base.line}): the chain up to here "
            "was rewritten and recomputed",
        )
    key = keys.find(record.key_id) if record.scheme is not None else None
    if record.scheme is not None and key is None:
        return base.seq, f"sealed with audit key {record.key_id}, which is not configured"
    if not hmac.compare_digest(record.computed_hash(key), record.hash):
        return base.seq, _ALTERED_KEYED if key is not None else _ALTERED
    return None


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
