"""The statements that save PostgreSQL round trips keep the guarantees of the ones they replaced: the
audit chain's lock-and-head function sees appends committed while it waited, and several named locks
taken in one statement are all held. A turn's write stays guarded by the conversation's version (a
stale or racing turn writes none of its rows), on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from purser.ports.audit import AUDIT_LOCK, draft
from purser.ports.conversations import ConversationBusy, ConversationRecord, PendingConfirmation, TurnWrite, UsageRow
from purser.store.agent_tables import ag_confirmations, ag_events, ag_messages, ag_usage
from purser.store.db import Database
from purser.store.gateway_tables import AUDIT_LOCK_HEAD_DDL, gw_audit_log, lock_rows
from purser.store.unit_of_work import SqlUnitOfWorkFactory

MIGRATION = Path(__file__).resolve().parents[2] / "src/purser/store/migrations/versions/0013_audit_head_lock.py"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 't.db'}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def pg(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


def _conversation(units: SqlUnitOfWorkFactory, cid: str = "cnv_t") -> ConversationRecord:
    record = ConversationRecord(
        id=cid,
        customer_id="cus_ana",
        channel="web",
        status="open",
        handoff_reason=None,
        turns=0,
        consecutive_failures=0,
        version=0,
        created_at="2026-12-01T00:00:00Z",
        updated_at="2026-12-01T00:00:00Z",
    )
    with units.write() as uow:
        uow.conversations.create(record)
    return record


def _turn(n: int, tag: str) -> TurnWrite:
    return TurnWrite(
        turn=n,
        messages=(f'{{"m":"{tag}1"}}', f'{{"m":"{tag}2"}}'),
        events=(("customer", {"type": "message", "text": tag}), ("agent", {"type": "message", "text": "ok"})),
        new_confirmations=(PendingConfirmation(f"act_{tag}", "cnv_t", "refund", "Refund", {"a": 1}, "pending"),),
        usage=(UsageRow("offline", 1, 10, 5, "0", True),),
    )


def _counts(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (ag_messages, ag_events, ag_confirmations, ag_usage)
        )


def test_a_stale_turn_writes_nothing(db: Database) -> None:
    units = SqlUnitOfWorkFactory(db)
    record = _conversation(units)
    with units.write() as uow:
        written = uow.conversations.commit_turn(record, _turn(1, "a"))
    assert (written.version, written.message_seq, written.event_seq) == (1, 2, 2)
    assert _counts(db) == (2, 2, 1, 1)
    # The same version again: another turn landed first, so nothing of this one is written.
    with pytest.raises(ConversationBusy), units.write() as uow:
        uow.conversations.commit_turn(record, _turn(1, "b"))
    assert _counts(db) == (2, 2, 1, 1)
    with units.read() as uow:
        assert uow.conversations.get("cnv_t") == written
        assert [c.action_id for c in uow.conversations.confirmations("cnv_t")] == ["act_a"]


def test_answers_in_one_turn_land_and_the_last_of_one_action_stands(db: Database) -> None:
    units = SqlUnitOfWorkFactory(db)
    record = _conversation(units)
    with units.write() as uow:
        record = uow.conversations.commit_turn(record, _turn(1, "a"))
        record = uow.conversations.commit_turn(record, replace(_turn(2, "b"), messages=(), events=()))
    answered = (("act_a", "no"), ("act_b", "yes"), ("act_a", "yes"))
    with units.write() as uow:
        uow.conversations.commit_turn(record, TurnWrite(turn=3, answered=answered))
    with units.read() as uow:
        assert {c.action_id: c.status for c in uow.conversations.confirmations("cnv_t")} == {
            "act_a": "yes",
            "act_b": "yes",
        }


@pytest.mark.postgres
def test_racing_turns_one_wins_the_other_is_busy(pg: Database) -> None:
    # Both start from version 0; the second waits for the first's row lock, then finds the version
    # moved: ConversationBusy (not a duplicate-key error from its rows), and none of its rows land.
    units = SqlUnitOfWorkFactory(pg)
    record = _conversation(units)
    first_wrote, outcome = threading.Event(), {}

    def second() -> None:
        first_wrote.wait(10)
        try:
            with units.write() as uow:
                uow.conversations.commit_turn(record, _turn(1, "b"))
            outcome["second"] = "committed"
        except ConversationBusy:
            outcome["second"] = "busy"

    other = threading.Thread(target=second)
    other.start()
    with units.write() as uow:
        uow.conversations.commit_turn(record, _turn(1, "a"))
        first_wrote.set()
        _wait_for_lock_waiter(pg)
    other.join(10)
    assert outcome == {"second": "busy"}
    assert _counts(pg) == (2, 2, 1, 1)


def _wait_for_lock_waiter(db: Database, timeout: float = 10) -> None:
    # Until another backend of this database waits on a lock (the racing transaction is blocked).
    import time

    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the racing transaction never waited for the lock")


@pytest.mark.postgres
def test_the_chain_head_read_after_the_lock_sees_what_committed_meanwhile(pg: Database) -> None:
    # The first appender holds the chain's lock; the second waits in `gw_audit_lock_head`, and once
    # the first commits it must read the head the first wrote (a head read with the snapshot taken
    # before the wait would reuse seq 2 and fork the chain).
    units = SqlUnitOfWorkFactory(pg)
    with units.write() as uow:
        uow.audit.append([draft("note", actor="t", data={"n": 1})])
    appended, done = threading.Event(), {}

    def second() -> None:
        appended.wait(10)
        with units.write() as uow:
            done["records"] = uow.audit.append([draft("note", actor="t", data={"n": 3})])

    other = threading.Thread(target=second)
    other.start()
    with units.write() as uow:
        mine = uow.audit.append([draft("note", actor="t", data={"n": 2})])
        appended.set()
        _wait_for_lock_waiter(pg)
    other.join(10)
    (theirs,) = done["records"]
    assert (mine[0].seq, theirs.seq) == (2, 3)
    assert theirs.prev_hash == mine[0].hash
    with units.read() as uow:
        chain = uow.audit.read()
    assert [r.seq for r in chain] == [1, 2, 3]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


@pytest.mark.postgres
def test_the_function_locks_the_same_key_as_lock_rows(pg: Database) -> None:
    with pg.begin() as conn:
        conn.execute(text("SELECT * FROM gw_audit_lock_head(:n)"), {"n": AUDIT_LOCK})
        assert not _free_elsewhere(pg, AUDIT_LOCK)
    assert _free_elsewhere(pg, AUDIT_LOCK)
    with pg.begin() as conn:
        empty = conn.execute(text("SELECT * FROM gw_audit_lock_head(:n)"), {"n": AUDIT_LOCK}).one()
        assert tuple(empty) == (None, None)
        assert conn.execute(select(func.count()).select_from(gw_audit_log)).scalar_one() == 0


def _free_elsewhere(db: Database, name: str) -> bool:
    # Whether another connection can take the named lock right now (released again at its commit).
    with db.begin() as conn:
        query = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:n, 0))")
        return bool(conn.execute(query, {"n": name}).scalar_one())


@pytest.mark.postgres
def test_several_locks_in_one_statement_are_all_held(pg: Database) -> None:
    names = ["day:2026-12-01", "customer:cus_ana", "customer:cus_ana"]
    with pg.begin() as conn:
        lock_rows(conn, names, "")
        assert not _free_elsewhere(pg, "day:2026-12-01")
        assert not _free_elsewhere(pg, "customer:cus_ana")
        assert _free_elsewhere(pg, "customer:cus_bob")
    assert _free_elsewhere(pg, "day:2026-12-01") and _free_elsewhere(pg, "customer:cus_ana")


@pytest.mark.postgres
def test_create_all_makes_the_function_the_migration_makes(pg_url: str) -> None:
    spec = importlib.util.spec_from_file_location("m0013", MIGRATION)
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.CREATE_LOCK_HEAD == AUDIT_LOCK_HEAD_DDL
    database = Database(pg_url)
    try:
        database.create_all()
        with database.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'gw_audit_lock_head'")).scalar_one()
        database.drop_all()
        with database.read() as conn:
            gone = conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'gw_audit_lock_head'"))
            assert gone.scalar_one() == 0
    finally:
        database.dispose()
