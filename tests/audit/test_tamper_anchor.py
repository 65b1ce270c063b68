"""The anchor file and the key themselves: forged or edited checkpoint lines, another key, a chain
older than its key (adopted once, then pinned), retired keys, and `audit_legacy_records`."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from tests.audit.conftest import KEY, Chain, broken_at, make_chain

from purser.audit.anchor import AnchorFile
from purser.audit.log import AuditLog
from purser.ports.audit import AuditKeys, ChainKey
from purser.store.db import Database

OTHER = ChainKey.from_secret("another-audit-key-" + "z" * 30)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, lines: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_a_checkpoint_line_is_signed_with_the_key(chain: Chain) -> None:
    (line,) = _lines(chain.anchor)
    assert line["key_id"] == KEY.key_id and line["seq"] == chain.log.head().seq and line["keyed_from"] == 1
    assert line["head"] == chain.log.head().hash and isinstance(line["sig"], str) and len(line["sig"]) == 64
    assert chain.anchor.stat().st_mode & 0o777 == 0o600


def test_an_edited_checkpoint_line_is_refused(chain: Chain, tamper: ModuleType) -> None:
    # The attacker empties the table and lowers the checkpoint's count to match: the signature breaks.
    tamper.attack(chain.url, "every record deleted (table emptied)")
    (line,) = _lines(chain.anchor)
    _write(chain.anchor, [{**line, "seq": 0, "head": "0" * 64}])
    broken_at(chain.reopened(), 1, "anchor line 1: its signature does not match")


def test_a_garbage_line_in_the_anchor_is_refused(chain: Chain) -> None:
    with chain.anchor.open("a", encoding="utf-8") as fh:
        fh.write("not json\n")
    broken_at(chain.reopened(), chain.log.head().seq + 1, "anchor line 2 is not a checkpoint")


def test_a_key_that_changed_without_being_listed_fails_and_a_retired_key_verifies(chain: Chain) -> None:
    broken_at(chain.reopened(AuditKeys(OTHER)), 1, f"sealed with audit key {KEY.key_id}, which is not configured")
    rotated = chain.reopened(AuditKeys(OTHER, previous=(KEY,)))
    assert rotated.verify().ok
    rotated.append("note", actor="system", data={"after": "rotation"})
    rotated.checkpoint()
    result = chain.reopened(AuditKeys(OTHER, previous=(KEY,))).verify()
    assert result.ok and result.keyed == result.records
    # A process holding only the old key cannot vouch for records the new key sealed.
    older = chain.reopened(AuditKeys(KEY)).verify()
    assert not older.ok and "which is not configured" in (older.problem or "")


def test_a_chain_older_than_its_key_is_adopted_then_pinned(tmp_path: Path, tamper: ModuleType) -> None:
    legacy = make_chain(tmp_path, AuditKeys(), checkpoint=False)  # sealed before any key existed
    legacy.anchor.unlink(missing_ok=True)
    count = legacy.log.head().seq
    keys = AuditKeys(KEY)
    keyed = AuditLog(Database(legacy.url, audit_keys=keys), anchor=AnchorFile(legacy.anchor, keys))
    # Without a checkpoint vouching for them, unkeyed records under a configured key are refused...
    broken_at(keyed, 1, "no signed checkpoint vouches for it")
    # ...until a first checkpoint adopts them (trust on first use).
    adopted = keyed.adopt()
    assert adopted is not None and adopted.seq == count and adopted.keyed_from is None
    keyed.append("note", actor="system", data={"first": "keyed"})
    keyed.checkpoint()
    result = keyed.verify()
    assert result.ok and result.legacy == count and result.keyed == 1 and result.keyed_from == count + 1
    assert any(f"records 1..{count} were sealed before" in w for w in result.warnings)
    # Downgrading the keyed record to sha256 now fails, and adopting again cannot bless it.
    tamper.attack(legacy.url, "middle record changed, chain recomputed (sha256)")
    assert keyed.adopt() is None
    assert not keyed.verify().ok
    legacy.db.dispose()


def test_audit_legacy_records_vouches_without_an_anchor(tmp_path: Path) -> None:
    legacy = make_chain(tmp_path, AuditKeys(), checkpoint=False)
    count = legacy.log.head().seq
    strict = AuditLog(Database(legacy.url, audit_keys=AuditKeys(KEY)))
    broken_at(strict, 1, "no signed checkpoint vouches for it")
    allowed = AuditLog(Database(legacy.url, audit_keys=AuditKeys(KEY, legacy_records=count)))
    assert allowed.verify().ok
    legacy.log.append("note", actor="system", data={"forged": "after the key"})  # an unkeyed writer
    broken_at(allowed, count + 1, "no signed checkpoint vouches for it")
    legacy.db.dispose()
