"""The checkpoint job verifies from the newest trusted checkpoint forward, in pages: it reads only
what that checkpoint did not see, never the whole chain, and still refuses every tampering it can
see there. `verify` (the whole chain) reads in pages too and still catches the rest."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from huey import MemoryHuey
from sqlalchemy import delete, update
from tests.audit.conftest import KEY, Chain, make_chain

from purser.audit.anchor import AnchorFile
from purser.audit.checkpoint_job import register_checkpoints, schedule_checkpoint
from purser.audit.log import AuditLog, CheckpointRefused
from purser.audit.verify import VerifyResult, verify_since_checkpoint, walk_pages
from purser.jobs import HueyJobQueue
from purser.ports.audit import AuditKeys
from purser.ports.audit_pages import AuditPages, Walked
from purser.store.db import Database
from purser.store.gateway_tables import gw_audit_log
from purser.store.jobs import JobStore
from purser.testing.memory import MemoryUnitOfWorkFactory


@dataclass
class Counting:
    """An `AuditPages` that counts what it reads (and can run something before each page)."""

    inner: AuditPages
    pages: list[tuple[int, int]] = field(default_factory=list)
    records: int = 0
    before: list[object] = field(default_factory=list)

    def page(self, after: int, limit: int) -> list[Walked]:
        for hook in self.before:
            hook()  # type: ignore[operator]
        found = self.inner.page(after, limit)
        self.pages.append((after, limit))
        self.records += len(found)
        return found


def _notes(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append("note", actor="system", data={"i": i})


def _since(log: AuditLog, size: int = 4) -> VerifyResult:
    assert log.anchor is not None
    result = verify_since_checkpoint(log.pages, log.keys, log.anchor, lambda: log.head().seq, size=size)
    assert result is not None, "no checkpoint to build on"
    return result


def test_the_job_reads_only_what_the_last_checkpoint_did_not_see(chain: Chain) -> None:
    base = chain.log.head()
    _notes(chain.log, 30)
    counting = Counting(chain.log.pages)
    chain.log.pages = counting
    written = chain.log.checkpoint(incremental=True)
    assert (written.seq, written.head) == (base.seq + 30, chain.log.head().hash)
    assert counting.records == 31  # the checkpoint's own record, then the 30 after it
    assert all(limit <= 500 for _after, limit in counting.pages)
    counting.records = 0
    again = chain.log.checkpoint(incremental=True)  # nothing new: one record read (the base's)
    assert again.seq == written.seq and counting.records == 1
    assert chain.reopened().verify().ok


def test_the_whole_chain_is_walked_in_pages_of_bounded_size(chain: Chain) -> None:
    records = chain.log.head().seq
    counting = Counting(chain.log.pages)
    walked = [r.seq for r in walk_pages(counting, size=7)]
    assert walked == list(range(1, records + 1))
    assert len(counting.pages) == records // 7 + 1 and all(limit == 7 for _after, limit in counting.pages)
    assert [r.seq for r in walk_pages(counting, after=5, upto=12, size=3)] == list(range(6, 13))


def test_incremental_and_whole_verification_agree_on_an_intact_chain(chain: Chain) -> None:
    base = chain.log.head().seq
    _notes(chain.log, 9)
    whole, since = chain.log.verify(), _since(chain.log, size=2)
    assert whole.ok and since.ok and since.start == base and whole.start == 0
    assert replace(since, start=0) == whole


def test_the_job_checkpoints_incrementally(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    Database(url).migrate()
    keys = AuditKeys(KEY)
    log = AuditLog(Database(url, audit_keys=keys), anchor=AnchorFile(tmp_path / "jobs.anchor", keys))
    assert log.db is not None
    queue = HueyJobQueue(JobStore(log.db), MemoryHuey("audit-inc", results=False), sweep_grace_seconds=0)
    register_checkpoints(queue, log, every_records=5, every_minutes=10)
    _notes(log, 40)
    log.checkpoint()
    _notes(log, 6)
    counting = Counting(log.pages)
    log.pages = counting
    assert schedule_checkpoint(queue, now=datetime.now(UTC) - timedelta(minutes=2))
    queue.run_due()
    assert log.anchor is not None and log.anchor.last().seq == 46  # type: ignore[union-attr]
    assert counting.records == 7


def test_records_appended_during_the_walk_wait_for_the_next_checkpoint(chain: Chain) -> None:
    _notes(chain.log, 10)
    head = chain.log.head()
    counting = Counting(chain.log.pages)
    counting.before.append(lambda: chain.log.append("note", actor="system", data={"during": "walk"}))
    chain.log.pages = counting
    written = chain.log.checkpoint(incremental=True)
    assert (written.seq, written.head) == (head.seq, head.hash)  # what was verified, not the newer head
    assert chain.log.head().seq > head.seq
    assert chain.reopened().verify().ok


@pytest.fixture()
def longer(chain: Chain) -> Chain:
    """The checkpointed chain with 60 more records after its checkpoint."""
    _notes(chain.log, 60)
    return chain


def test_every_attack_after_the_checkpoint_is_refused_and_nothing_else(
    longer: Chain, tamper: ModuleType, tmp_path: Path
) -> None:
    assert longer.log.anchor is not None
    base = longer.log.anchor.last()
    assert base is not None
    longer.db.dispose()  # the WAL folded into the file, so every copy starts from the same chain
    caught = 0
    for number, name in enumerate(tamper.ATTACKS):
        copy = tamper.copy_database(Path(longer.url.removeprefix("sqlite:///")), tmp_path / f"attack{number}")
        tamper.attack(copy.url, name)
        keys = AuditKeys(KEY)
        log = AuditLog(Database(copy.url, audit_keys=keys), anchor=AnchorFile(copy.anchor, keys))
        whole, since = log.verify(), _since(log, size=3)
        if not since.ok:
            assert not whole.ok, f"{name}: a false alarm"
            caught += 1
        if not whole.ok and (whole.bad_seq or 0) > base.seq:
            assert (since.bad_seq, since.problem) == (whole.bad_seq, whole.problem), name
        with pytest.raises(CheckpointRefused) if not since.ok else _nothing():
            log.checkpoint(incremental=True)
        assert log.db is not None
        log.db.dispose()
    # An in-place edit of a record older than the checkpoint (its data, or its hash) is left to
    # `purser audit verify`, and deleting the newest records after the checkpoint is invisible to
    # both; every other attack reaches the checkpoint's own record or what follows it.
    assert caught == len(tamper.ATTACKS) - 3


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_the_checkpoints_own_record_altered_or_deleted_is_refused(chain: Chain) -> None:
    base = chain.log.head()
    _notes(chain.log, 5)
    with chain.db.begin() as conn:
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == base.seq).values(data='{"x":1}'))
    altered = _since(chain.reopened())
    assert (altered.ok, altered.bad_seq) == (False, base.seq)
    assert "does not match its keyed hash" in (altered.problem or "")
    with chain.db.begin() as conn:
        conn.execute(delete(gw_audit_log).where(gw_audit_log.c.seq == base.seq))
    deleted = _since(chain.reopened())
    assert (deleted.ok, deleted.bad_seq) == (False, base.seq) and "was deleted" in (deleted.problem or "")
    with chain.db.begin() as conn:
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == base.seq + 1).values(seq=base.seq))
    moved = _since(chain.reopened())
    assert (moved.ok, moved.bad_seq) == (False, base.seq) and "rewritten and recomputed" in (moved.problem or "")


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_anchor_file_is_checked_whole(chain: Chain) -> None:
    _notes(chain.log, 3)
    chain.log.checkpoint()
    first, second = _lines(chain.anchor)
    # An edited signed line (even an older one than the checkpoint built on) is refused.
    chain.anchor.write_text(json.dumps({**first, "seq": 3}) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    edited = _since(chain.reopened())
    assert not edited.ok and "anchor line 1: its signature does not match" in (edited.problem or "")
    # Garbage after the last checkpoint is refused.
    chain.anchor.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\nnot json\n", encoding="utf-8")
    garbage = _since(chain.reopened())
    assert not garbage.ok and "anchor line 3 is not a checkpoint" in (garbage.problem or "")
    # An unsigned line is never built on, but it is held against the chain.
    forged = {**first, "key_id": None, "sig": None, "seq": 2, "head": "e" * 64}
    lines = [first, second, forged]
    chain.anchor.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    unsigned = _since(chain.reopened())
    assert (unsigned.ok, unsigned.bad_seq, unsigned.start) == (False, 2, second["seq"])
    assert "anchor line 3" in (unsigned.problem or "")
    # A line that saw more records than the chain has (the newest deleted) is refused.
    ahead = {**first, "key_id": None, "sig": None, "seq": chain.log.head().seq + 5}
    lines = [first, second, ahead]
    chain.anchor.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    missing = _since(chain.reopened())
    assert not missing.ok and "the newest records were deleted" in (missing.problem or "")


def test_without_a_signed_checkpoint_under_a_key_the_whole_chain_is_walked(tmp_path: Path) -> None:
    legacy = make_chain(tmp_path, AuditKeys())  # unkeyed records, an unsigned checkpoint
    keys = AuditKeys(KEY)
    keyed = AuditLog(Database(legacy.url, audit_keys=keys), anchor=AnchorFile(legacy.anchor, keys))
    assert keyed.anchor is not None
    assert verify_since_checkpoint(keyed.pages, keys, keyed.anchor, lambda: keyed.head().seq) is None
    with pytest.raises(CheckpointRefused, match="no signed checkpoint vouches for it"):
        keyed.checkpoint(incremental=True)
    legacy.db.dispose()


def test_an_unkeyed_chain_builds_on_its_unsigned_checkpoint(tmp_path: Path) -> None:
    plain = make_chain(tmp_path, AuditKeys())
    base = plain.log.head()
    _notes(plain.log, 7)
    since = _since(plain.log)
    assert since.ok and since.start == base.seq and since.legacy == base.seq + 7 and since.keyed == 0
    assert any("UNKEYED" in w for w in since.warnings) and any("no checkpoint is signed" in w for w in since.warnings)
    with plain.db.begin() as conn:
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == base.seq + 3).values(prev_hash="a" * 64))
    broken = _since(plain.log)
    assert (broken.ok, broken.bad_seq) == (False, base.seq + 3) and "prev_hash" in (broken.problem or "")
    plain.db.dispose()


def test_an_unsigned_lines_word_on_keyed_records_is_not_taken(tmp_path: Path) -> None:
    plain = make_chain(tmp_path, AuditKeys())
    _notes(plain.log, 4)
    (line,) = _lines(plain.anchor)
    plain.anchor.write_text(json.dumps({**line, "keyed_from": 1}) + "\n", encoding="utf-8")
    since, whole = _since(plain.log), plain.log.verify()
    assert since.ok and whole.ok and since.keyed_from is None and since.legacy == whole.legacy
    plain.db.dispose()


def test_the_in_memory_fakes_checkpoint_incrementally(tmp_path: Path) -> None:
    keys = AuditKeys()  # the fakes seal unkeyed, as a store without a key does
    log = AuditLog(uow=MemoryUnitOfWorkFactory(), keys=keys, anchor=AnchorFile(tmp_path / "mem.anchor", keys))
    _notes(log, 12)
    assert log.checkpoint().seq == 12
    _notes(log, 5)
    since = _since(log, size=2)
    assert since.ok and since.start == 12 and since.records == 17
    written = log.checkpoint(incremental=True)
    assert (written.seq, written.head) == (17, log.head().hash)
