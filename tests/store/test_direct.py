"""The turn's statements on the DBAPI cursor (`purser.store.direct`) behave as `Connection.execute` does,
on SQLite and PostgreSQL: same rows, same row counts, same exception classes, nothing written on error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from purser.ports.actions import Action, ActionChanges, ActionId, Conflict
from purser.ports.audit import draft
from purser.store.agent_tables import ag_usage
from purser.store.db import Database
from purser.store.direct import MULTI_ROW_MAX, Direct
from purser.store.gateway_tables import gw_ledger
from purser.store.unit_of_work import SqlUnitOfWorkFactory


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path_factory.mktemp('direct')}/t.db")
    else:
        database = Database(request.getfixturevalue("pg_url"))
    database.create_all()
    try:
        yield database
    finally:
        database.dispose()


_U = ag_usage.c
_KEYS = (
    "conversation_id",
    "turn",
    "model",
    "requests",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "priced",
    "created_at",
)
INSERT = Direct(insert(ag_usage), _KEYS)
BY_CONVERSATION = Direct(
    select(_U.turn, _U.model, _U.priced, _U.cost_usd).where(_U.conversation_id == bindparam("cid")).order_by(_U.turn)
)
RENAME = Direct(update(ag_usage).where(_U.conversation_id == bindparam("cid")).values(model=bindparam("m")))


def usage(cid: str, turn: int, *, priced: bool = True) -> dict[str, object]:
    return {
        "conversation_id": cid,
        "turn": turn,
        "model": "offline",
        "requests": 1,
        "input_tokens": 10,
        "output_tokens": 5,
        "cost_usd": "0.001",
        "priced": priced,
        "created_at": "2026-01-01T00:00:00Z",
    }


def test_rows_first_execute_and_many_match_core(db: Database) -> None:
    with db.begin() as conn:
        INSERT.many(conn, [usage("c1", 1), usage("c1", 2, priced=False), usage("c2", 1)])
        INSERT.many(conn, [usage("c3", 7)])  # one row: a plain execute
        INSERT.many(conn, [])
    with db.read() as conn:
        rows = BY_CONVERSATION.rows(conn, {"cid": "c1"})
        core = [tuple(r) for r in conn.execute(BY_CONVERSATION.statement, {"cid": "c1"})]  # type: ignore[call-overload]
        assert [(t, m, bool(p), c) for t, m, p, c in rows] == [
            (1, "offline", True, "0.001"),
            (2, "offline", False, "0.001"),
        ]
        assert [(t, m, bool(p), c) for t, m, p, c in core] == [(t, m, bool(p), c) for t, m, p, c in rows]
        (mapped,) = BY_CONVERSATION.mappings(conn, {"cid": "c3"})
        assert {**mapped, "priced": bool(mapped["priced"])} == {
            "turn": 7,
            "model": "offline",
            "priced": True,
            "cost_usd": "0.001",
        }
        assert BY_CONVERSATION.first(conn, {"cid": "nobody"}) is None
    with db.begin() as conn:
        assert RENAME.execute(conn, {"cid": "c1", "m": "renamed"}) == 2
        assert RENAME.execute(conn, {"cid": "nobody", "m": "x"}) == 0
    with db.read() as conn:
        assert {r[1] for r in BY_CONVERSATION.rows(conn, {"cid": "c1"})} == {"renamed"}


def test_many_rows_are_one_statement_of_any_size(db: Database) -> None:
    # 2 and 5 rows: a multi-row INSERT compiled per row count (PostgreSQL); past MULTI_ROW_MAX, SQLAlchemy's.
    sizes = (2, 5, 2, MULTI_ROW_MAX, MULTI_ROW_MAX + 3)
    with db.begin() as conn:
        for n, size in enumerate(sizes):
            INSERT.many(conn, [{**usage(f"s{n}", t, priced=t % 2 == 0), "model": f"m…{t}"} for t in range(size)])
    with db.read() as conn:
        for n, size in enumerate(sizes):
            rows = BY_CONVERSATION.rows(conn, {"cid": f"s{n}"})
            assert [(t, m, bool(p)) for t, m, p, _ in rows] == [(t, f"m…{t}", t % 2 == 0) for t in range(size)]
    with pytest.raises(IntegrityError), db.begin() as conn:
        INSERT.many(conn, [usage("dup", 1), {**usage("dup", 2), "model": None}, usage("dup", 3)])
    with db.read() as conn:
        assert BY_CONVERSATION.rows(conn, {"cid": "dup"}) == []  # no row of the failed statement landed


def _action(n: int) -> Action:
    aid = ActionId(f"act_{n}")
    return Action(
        aid, "cnv_1", "cus_1", "web", "offline", "refund", "{}", "write", "needs_confirmation",
        None, None, None, None, None, "", f"purser:{aid}", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
    )  # fmt: skip


def test_duplicate_action_is_a_conflict_and_rolls_back(db: Database) -> None:
    units = SqlUnitOfWorkFactory(db)
    with units.write() as uow:
        uow.actions.add([_action(1)])
    with pytest.raises(Conflict), units.write() as uow:
        uow.actions.add([_action(2)])
        uow.actions.add([_action(1), _action(3)])  # a duplicate id in a multi-row insert
    with units.read() as uow:
        assert [a.id for a in uow.actions.of_conversation("cnv_1")] == ["act_1"]  # act_2 rolled back with it


def test_driver_errors_are_sqlalchemys_classes(db: Database) -> None:
    with pytest.raises(IntegrityError), db.begin() as conn:
        INSERT.execute(conn, {**usage("c1", 1), "model": None})  # NOT NULL
    with db.read() as conn:
        assert BY_CONVERSATION.rows(conn, {"cid": "c1"}) == []


def test_action_updates_compare_and_set(db: Database) -> None:
    units = SqlUnitOfWorkFactory(db)
    with units.write() as uow:
        uow.actions.add([_action(1)])
    done = ActionChanges(status="confirmed", updated_at="2026-01-01T00:00:01Z")
    with units.write() as uow:
        assert not uow.actions.update("act_1", done, expect_status="proposed")
        assert not uow.actions.update(
            "act_1", done, expect_status="needs_confirmation", expect_updated_at="2025-01-01T00:00:00Z"
        )
        assert uow.actions.update(
            "act_1", done, expect_status="needs_confirmation", expect_updated_at="2026-01-01T00:00:00Z"
        )
        assert uow.actions.update("act_1", ActionChanges(status="executed", updated_at="x", result='{"ok":1}'))
    with units.read() as uow:
        row = uow.actions.get("act_1")
    assert row is not None and (row.status, row.updated_at, row.result) == ("executed", "x", '{"ok":1}')


def test_audit_chain_appends_in_order(db: Database) -> None:
    units = SqlUnitOfWorkFactory(db)
    with units.write() as uow:
        first = uow.audit.append([draft("proposal", actor="model:offline", data={"n": 1})])
    with units.write() as uow:
        more = uow.audit.append(
            [draft("result", actor="system:gateway", data={"n": n}, action_id="act_1") for n in (2, 3)]
        )
    with units.read() as uow:
        head = uow.audit.head()
        records = uow.audit.read()
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.prev_hash for r in records[1:]] == [first[0].hash, more[0].hash]
    assert (head.seq, head.hash) == (3, more[1].hash)


def test_an_in_list_is_refused_at_first_use(db: Database) -> None:
    listed = Direct(select(_U.turn).where(_U.model.in_(("a", "b"))))
    with db.read() as conn, pytest.raises(TypeError, match="expanding parameter"):
        listed.rows(conn)


def test_ledger_reads_only_live_entries(db: Database) -> None:
    from purser.money import Money
    from purser.ports.actions import LedgerEntry

    units = SqlUnitOfWorkFactory(db)

    def entry(n: int, state: str) -> LedgerEntry:
        return LedgerEntry(
            action_id=f"act_{n}", conversation_id="cnv_1", customer_id="cus_1", charge_id="ch_1",
            amount=Money(100 * n, "EUR"), day="2026-01-01", created="2026-01-01T00:00:00Z", state=state,
            counts=n != 2, approved=False, refund_id=None, idempotency_key=f"k{n}", updated_at="t",
        )  # fmt: skip

    with units.write() as uow:
        for n, state in ((1, "reserved"), (2, "executed"), (3, "released")):
            uow.ledger.reserve(entry(n, "reserved"))
            if state != "reserved":
                uow.conn.execute(  # type: ignore[attr-defined]
                    update(gw_ledger).where(gw_ledger.c.action_id == f"act_{n}").values(state=state)
                )
    with units.read() as uow:
        live = uow.ledger.live_for_customer("cus_1")
        day = uow.ledger.live_on_day("2026-01-01")
    assert sorted((e.action_id, e.state, e.counts, e.amount.minor) for e in live) == [
        ("act_1", "reserved", True, 100),
        ("act_2", "executed", False, 200),
    ]
    assert sorted(m.minor for m in day) == [100, 200]
