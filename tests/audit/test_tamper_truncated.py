"""Truncation: the newest records deleted, every record deleted. The anchor outside the database
catches both; without one, `verify` says loudly that it cannot."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from tests.audit.conftest import KEY, Chain, broken_at, make_chain

from purser.ports.audit import AuditKeys


def test_the_last_15_records_deleted_are_named(chain: Chain, tamper: ModuleType) -> None:
    head = chain.log.head().seq
    assert tamper.attack(chain.url, "last 15 records deleted") == head - 14
    broken_at(chain.reopened(), head - 14, f"saw {head} record(s), the chain has {head - 15}")


def test_an_emptied_table_fails(chain: Chain, tamper: ModuleType) -> None:
    tamper.attack(chain.url, "every record deleted (table emptied)")
    log = chain.reopened()
    result = log.verify()
    assert not result.ok and result.records == 0 and result.bad_seq == 1
    assert "the chain has 0" in (result.problem or "")


def test_an_unkeyed_chain_with_an_unsigned_anchor_still_catches_truncation(tmp_path: Path, tamper: ModuleType) -> None:
    chain = make_chain(tmp_path, AuditKeys())  # no key at all: sha256 records, unsigned checkpoints
    result = chain.log.verify()
    assert result.ok and result.keyed == 0
    assert any("UNKEYED" in w for w in result.warnings)
    assert any("no checkpoint is signed" in w for w in result.warnings)
    tamper.attack(chain.url, "last 15 records deleted")
    head = chain.log.anchor.last().seq if chain.log.anchor else 0
    broken_at(chain.reopened(AuditKeys()), head - 14, "the newest records were deleted")
    chain.db.dispose()


def test_without_an_anchor_verify_says_truncation_is_invisible(chain: Chain, tamper: ModuleType) -> None:
    tamper.attack(chain.url, "every record deleted (table emptied)")
    result = chain.reopened(anchor=False).verify()
    assert result.ok and result.records == 0  # nothing outside the database remembers the chain
    assert any(w.startswith("NO ANCHOR") for w in result.warnings)


def test_records_appended_after_the_last_checkpoint_are_only_protected_by_the_key(chain: Chain) -> None:
    # Documented limit: deleting records newer than the last checkpoint is not detectable.
    chain.log.append("note", actor="system", data={"n": 1})
    with chain.db.begin() as conn:
        from sqlalchemy import delete

        from purser.store.gateway_tables import gw_audit_log

        conn.execute(delete(gw_audit_log).where(gw_audit_log.c.seq == chain.log.head().seq))
    assert chain.reopened().verify().ok


@pytest.mark.parametrize("attack", ["last 15 records deleted", "one refund's records removed and renumbered"])
def test_on_postgresql_too(pg_url: str, tmp_path: Path, tamper: ModuleType, attack: str) -> None:
    chain = make_chain(tmp_path, AuditKeys(KEY), url=pg_url)
    assert chain.log.verify().ok and chain.log.verify().keyed == chain.log.head().seq
    seq = tamper.attack(pg_url, attack)
    reopened = chain.reopened()
    result = reopened.verify()
    assert not result.ok and result.bad_seq == seq, result
    assert reopened.db is not None
    reopened.db.dispose()
    chain.db.dispose()
