"""The inbox repository's contract on SQLite and PostgreSQL: assignments, resolution, private notes, each
change an audit record in the same transaction, and concurrent teammates leaving an intact chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from purser.audit.log import AuditLog
from purser.ports.conversations import ConversationRecord
from purser.ports.inbox import AlreadyResolved
from purser.store.conversation_rows import INSERT_CONVERSATION, row_of
from purser.store.db import Database
from purser.store.inbox import SqlInboxRepository


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'inbox.db'}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
    database.migrate()
    yield database
    database.dispose()


def _kinds(db: Database, cid: str) -> list[tuple[str, str]]:
    return [(r.kind, r.actor) for r in AuditLog(db).records(conversation_id=cid)]


def test_claim_assign_resolve_and_reopen(db: Database) -> None:
    repo = SqlInboxRepository(db)
    assert repo.assignment("cnv_1") is None and repo.assignments(["cnv_1"]) == {}
    claimed = repo.assign("cnv_1", "alice", by="alice", kind="claimed")
    assert (claimed.assignee, claimed.assigned_by, claimed.resolved_at) == ("alice", "alice", None)
    given = repo.assign("cnv_1", "bob", by="alice", kind="assigned")
    assert repo.assignment("cnv_1") == given
    done = repo.resolve("cnv_1", by="bob", since="2000-01-01T00:00:00Z")
    assert done.assignee == "bob" and done.resolved_by == "bob" and done.resolved_at is not None
    with pytest.raises(AlreadyResolved, match="resolved by bob"):
        repo.resolve("cnv_1", by="bob", since=done.resolved_at)  # nothing happened since
    # Something happened after the resolution: it may be resolved again.
    again = repo.resolve("cnv_1", by="carol", since="9999-01-01T00:00:00Z")
    assert again.resolved_by == "carol"
    reopened = repo.assign("cnv_1", "alice", by="alice", kind="claimed")
    assert reopened.resolved_at is None and repo.assignment("cnv_1") == reopened
    assert _kinds(db, "cnv_1") == [
        ("inbox_claimed", "human:alice"),
        ("inbox_assigned", "human:alice"),
        ("inbox_resolved", "human:bob"),
        ("inbox_resolved", "human:carol"),
        ("inbox_claimed", "human:alice"),
    ]
    assert AuditLog(db).verify().ok


def test_resolving_a_conversation_nobody_claimed(db: Database) -> None:
    repo = SqlInboxRepository(db)
    done = repo.resolve("cnv_2", by="alice", since="2000-01-01T00:00:00Z")
    assert done.assignee is None and done.resolved_by == "alice"
    assert repo.assignments(["cnv_2", "cnv_other"]) == {"cnv_2": done}


def test_notes_are_kept_in_order_per_conversation(db: Database) -> None:
    repo = SqlInboxRepository(db)
    first = repo.add_note("cnv_1", "Called the bank.", author="alice")
    repo.add_note("cnv_2", "Another conversation.", author="bob")
    second = repo.add_note("cnv_1", "Ünïcode and\nlines kept.", author="bob")
    assert repo.notes("cnv_1") == [first, second]
    assert second.id > first.id and repo.notes("cnv_3") == []
    records = [r for r in AuditLog(db).records(conversation_id="cnv_1")]
    assert [r.data for r in records] == [
        {"note_id": first.id, "text": "Called the bank."},
        {"note_id": second.id, "text": "Ünïcode and\nlines kept."},
    ]


def test_teammates_at_the_same_time_leave_an_intact_chain(db: Database) -> None:
    repo = SqlInboxRepository(db)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            repo.assign("cnv_busy", f"person{n}", by=f"person{n}", kind="claimed")
            repo.add_note("cnv_busy", f"note {n}", author=f"person{n}")
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(n.text for n in repo.notes("cnv_busy")) == [f"note {n}" for n in range(6)]
    assert len(_kinds(db, "cnv_busy")) == 12
    assert AuditLog(db).verify().ok


def _conversation(db: Database, cid: str, status: str, updated_at: str) -> None:
    record = ConversationRecord(cid, "cus_ana", "web", status, "dispute", 1, 0, 1, "2026-01-01T00:00:00Z", updated_at)
    with db.begin() as conn:
        conn.execute(INSERT_CONVERSATION, [row_of(record)])


def test_handed_off_conversations_whatever_their_age(db: Database) -> None:
    _conversation(db, "cnv_old", "handed_off", "2026-01-02T00:00:00Z")
    _conversation(db, "cnv_open", "open", "2026-06-01T00:00:00Z")
    _conversation(db, "cnv_new", "handed_off", "2026-05-01T00:00:00Z")
    repo = SqlInboxRepository(db)
    assert [r.id for r in repo.handed_off(limit=10)] == ["cnv_new", "cnv_old"]
    assert [r.id for r in repo.handed_off(limit=1)] == ["cnv_new"]
    assert repo.handed_off(limit=10)[0].handoff_reason == "dispute"


def test_read_marks_are_per_person_and_never_move_back(db: Database) -> None:
    repo = SqlInboxRepository(db)
    assert repo.seen("alice", ["cnv_1"]) == {} and repo.seen("alice", []) == {}
    repo.mark_read("cnv_1", "alice", "2026-12-01T10:00:00Z")
    repo.mark_read("cnv_1", "alice", "2026-12-01T09:00:00Z")  # an older tab reporting late
    repo.mark_read("cnv_2", "bob", "2026-12-01T08:00:00Z")
    assert repo.seen("alice", ["cnv_1", "cnv_2"]) == {"cnv_1": "2026-12-01T10:00:00Z"}
    repo.mark_read("cnv_1", "alice", "2026-12-02T00:00:00Z")
    assert repo.seen("alice", ["cnv_1"]) == {"cnv_1": "2026-12-02T00:00:00Z"}
    assert repo.seen("bob", ["cnv_1", "cnv_2"]) == {"cnv_2": "2026-12-01T08:00:00Z"}
