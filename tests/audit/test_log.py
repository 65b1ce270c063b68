"""The hash-chained audit log: append, verify (altered, deleted, reordered), export, CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from purser.audit.export import export_text
from purser.audit.log import GENESIS, AuditLog
from purser.errors import PurserError
from purser.store.db import Database
from purser.store.gateway_tables import gw_audit_log


@pytest.fixture()
def log() -> AuditLog:
    db = Database("sqlite://")
    db.create_all()
    return AuditLog(db)


def _fill(log: AuditLog, n: int = 5) -> None:
    for i in range(n):
        log.append(
            "proposal",
            actor="model:offline",
            conversation_id=f"conv_{i % 2}",
            action_id=f"act_{i}",
            data={"action": "refund", "amount": f"{i}.00", "currency": "usd", "note": "é ü"},
        )


def test_chain_links_and_verifies(log: AuditLog) -> None:
    _fill(log)
    records = list(log.records())
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == GENESIS
    for prev, cur in itertools.pairwise(records):
        assert cur.prev_hash == prev.hash
    assert all(r.computed_hash() == r.hash for r in records)
    result = log.verify()
    assert result.ok and result.records == 5


def test_empty_log_verifies(log: AuditLog) -> None:
    assert log.verify().ok


def test_modified_record_is_named(log: AuditLog) -> None:
    _fill(log)
    with log.db.begin() as conn:
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == 3).values(data='{"amount":"999.00"}'))
    result = log.verify()
    assert not result.ok and result.bad_seq == 3 and "altered" in (result.problem or "")


def test_modified_actor_is_named(log: AuditLog) -> None:
    _fill(log)
    with log.db.begin() as conn:
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == 2).values(actor="human:mallory"))
    assert log.verify().bad_seq == 2


def test_deleted_record_is_named(log: AuditLog) -> None:
    _fill(log)
    with log.db.begin() as conn:
        conn.execute(delete(gw_audit_log).where(gw_audit_log.c.seq == 2))
    result = log.verify()
    assert not result.ok and result.bad_seq == 3


def test_deleted_last_record_then_appended_is_caught(log: AuditLog) -> None:
    _fill(log)
    with log.db.begin() as conn:
        conn.execute(delete(gw_audit_log).where(gw_audit_log.c.seq == 4))
    result = log.verify()
    assert result.bad_seq == 5


def test_reordered_records_are_named(log: AuditLog) -> None:
    _fill(log)
    with log.db.begin() as conn:
        rows = {r.seq: r for r in conn.execute(select(gw_audit_log)).all()}
        a, b = rows[2], rows[3]
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == 2).values(seq=-1))
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == 3).values(seq=2))
        conn.execute(update(gw_audit_log).where(gw_audit_log.c.seq == -1).values(seq=3))
        assert a.hash != b.hash
    result = log.verify()
    assert not result.ok and result.bad_seq == 2


def test_rehashed_forgery_is_caught_downstream(log: AuditLog) -> None:
    """Editing a record and recomputing its own hash still breaks the next record's link."""
    _fill(log)
    rec = next(r for r in log.records() if r.seq == 2)
    forged = {**rec.body(), "data": {"amount": "0.01"}}
    from purser.audit.log import AuditRecord

    new = AuditRecord(**{**forged, "hash": ""})
    with log.db.begin() as conn:
        conn.execute(
            update(gw_audit_log)
            .where(gw_audit_log.c.seq == 2)
            .values(data=json.dumps(new.data), hash=new.computed_hash())
        )
    assert log.verify().bad_seq == 3


def test_append_refuses_non_json(log: AuditLog) -> None:
    with pytest.raises(TypeError) as not_json:
        log.append("proposal", actor="x", data={"x": object()})
    with pytest.raises(ValueError) as blank:
        log.append("", actor="x", data={})
    assert log.verify().records == 0
    assert isinstance(not_json.value, PurserError) and not_json.value.code == "audit_data_not_json"
    assert isinstance(blank.value, PurserError) and (blank.value.code, blank.value.status) == ("audit_invalid", 422)


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    db.create_all()
    log = AuditLog(db)

    def work(i: int) -> None:
        for j in range(10):
            log.append("proposal", actor=f"model:{i}", data={"j": j})

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = log.verify()
    assert result.ok and result.records == 80
    db.dispose()


def test_export_csv_and_jsonl(log: AuditLog) -> None:
    _fill(log, 3)
    lines = export_text(log, "jsonl").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3]
    rows = list(csv.DictReader(io.StringIO(export_text(log, "csv"))))
    assert rows[1]["amount"] == "1.00" and rows[1]["currency"] == "usd" and rows[1]["action"] == "refund"
    assert export_text(log, "jsonl", since="2999-01-01") == ""
    with pytest.raises(ValueError) as bad:
        export_text(log, "xml")  # type: ignore[arg-type]
    assert isinstance(bad.value, PurserError) and bad.value.code == "unknown_export_format"


def test_cli_verify_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from purser.cli import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PURSER_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    db = Database(url)
    db.migrate()
    _fill(AuditLog(db), 4)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    out = runner.invoke(app, ["audit", "export", "--format", "csv", "--since", "2000-01-01"])
    assert out.exit_code == 0 and out.output.count("\n") == 5
    bad = runner.invoke(app, ["audit", "export", "--format", "xml"])
    assert bad.exit_code == 2
    with db.begin() as conn:
        conn.execute(delete(gw_audit_log).where(gw_audit_log.c.seq == 2))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "record 3" in broken.output
    db.dispose()
