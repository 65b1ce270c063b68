"""One contract, two implementations: every check runs against the SQL repositories of
`purser.store` and the in-memory ones of `purser.testing.memory`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from purser.money import Money
from purser.ports.actions import KEEP, Action, ActionChanges, ApprovalRequest, Confirmation, Conflict, LedgerEntry
from purser.ports.audit import GENESIS, draft
from purser.ports.conversations import (
    ConversationBusy,
    ConversationRecord,
    PendingConfirmation,
    TurnWrite,
    UsageRow,
)
from purser.ports.unit_of_work import TurnBatch, UnitOfWorkFactory
from purser.testing.memory import MemoryUnitOfWorkFactory


@pytest.fixture(params=["sql", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest) -> Iterator[UnitOfWorkFactory]:
    if request.param == "memory":
        yield MemoryUnitOfWorkFactory()
        return
    from purser.app import memory_database
    from purser.store import Database
    from purser.store.unit_of_work import SqlUnitOfWorkFactory

    if request.param == "postgres":
        db = Database(request.getfixturevalue("pg_url"))
        db.migrate()
    else:
        db = memory_database()
    try:
        yield SqlUnitOfWorkFactory(db)
    finally:
        db.dispose()


def action(n: int, *, conversation: str = "cnv_1", status: str = "needs_confirmation", **kw: Any) -> Action:
    values: dict[str, Any] = {
        "id": f"act_{n}",
        "conversation_id": conversation,
        "customer_id": "cus_ana",
        "channel": "web",
        "actor": "offline",
        "action": "refund",
        "arguments": '{"charge_id":"ch_1"}',
        "kind": "money",
        "status": status,
        "reason": None,
        "quote": None,
        "quote_hash": None,
        "plan": None,
        "result": None,
        "summary": "Refund $20.00",
        "idempotency_key": f"key_{n}",
        "created_at": f"2026-11-16T00:00:0{n}Z",
        "updated_at": f"2026-11-16T00:00:0{n}Z",
    }
    values.update(kw)
    return Action(**values)


def test_actions(uow: UnitOfWorkFactory) -> None:
    with uow.write() as tx:
        tx.actions.add([action(2), action(1, status="succeeded"), action(3, conversation="cnv_2")])
    with uow.read() as tx:
        assert [a.id for a in tx.actions.of_conversation("cnv_1")] == ["act_1", "act_2"]
        assert tx.actions.get("act_3") == action(3, conversation="cnv_2") and tx.actions.get("act_9") is None
        found = tx.actions.open_identical("cnv_1", "refund", '{"charge_id":"ch_1"}')
        assert found is not None and found.id == "act_2"
        assert tx.actions.count_identical("cnv_1", "refund", '{"charge_id":"ch_1"}') == 2
        assert [a.id for a in tx.actions.stale(["succeeded"], "2026-11-16T00:00:05Z")] == ["act_1"]
    with uow.write() as tx:
        changes = ActionChanges(status="confirmed", updated_at="2026-11-16T00:01:00Z", reason="ok", result=KEEP)
        assert not tx.actions.update("act_2", changes, expect_status="executing")
        assert tx.actions.update("act_2", changes, expect_status="needs_confirmation")
        assert not tx.actions.update("act_nope", changes)
    with uow.read() as tx:
        row = tx.actions.get("act_2")
        assert row is not None and (row.status, row.reason, row.summary) == ("confirmed", "ok", "Refund $20.00")


@pytest.mark.parametrize("duplicate", [{"n": 1}, {"n": 7, "idempotency_key": "key_1"}])
def test_a_duplicate_action_is_a_conflict_and_the_transaction_is_void(
    uow: UnitOfWorkFactory, duplicate: dict[str, Any]
) -> None:
    with uow.write() as tx:
        tx.actions.add([action(1)])
    values = dict(duplicate)  # the parameter is shared by both implementations' runs
    with pytest.raises(Conflict), uow.write() as tx:
        tx.actions.add([action(values.pop("n"), **values)])
    with uow.read() as tx:
        assert [a.id for a in tx.actions.of_conversation("cnv_1")] == ["act_1"]


def test_one_confirmation_per_action(uow: UnitOfWorkFactory) -> None:
    answer = Confirmation(action(1).id, "cnv_1", "cus_ana", "yes", None, "2026-11-16T00:00:01Z")
    with uow.write() as tx:
        tx.actions.add_confirmation(answer)
    with pytest.raises(Conflict), uow.write() as tx:
        tx.actions.add_confirmation(answer)


def approval(n: int, *, created: str, conversation: str = "cnv_1") -> ApprovalRequest:
    return ApprovalRequest(
        f"apr_{n}",
        f"act_{n}",
        conversation,
        "cus_ana",
        "refund",
        "80.00",
        "usd",
        "offline",
        "window",
        "s",
        "pending",
        created,
    )


def test_approvals(uow: UnitOfWorkFactory) -> None:
    with uow.write() as tx:
        tx.approvals.add(approval(2, created="2026-11-16T00:00:01Z"))
        tx.approvals.add(approval(1, created="2026-11-16T00:00:01Z", conversation="cnv_2"))
        tx.approvals.add(approval(3, created="2026-11-16T00:00:00Z"))
    with uow.write() as tx:
        assert tx.approvals.decide("apr_2", approve=True, decided_by="human:eve", decided_at="t", reason="fine")
        assert not tx.approvals.decide("apr_2", approve=False, decided_by="human:bob", decided_at="t", reason="late")
        assert not tx.approvals.decide("apr_9", approve=True, decided_by="human:eve", decided_at="t", reason="")
    with uow.read() as tx:
        assert [a.id for a in tx.approvals.list()] == ["apr_3", "apr_1", "apr_2"]
        assert [a.id for a in tx.approvals.list(status="pending")] == ["apr_3", "apr_1"]
        assert [a.id for a in tx.approvals.list(status="pending", conversation_id="cnv_1")] == ["apr_3"]
        decided = tx.approvals.get("apr_2")
        assert decided is not None and (decided.status, decided.decided_by) == ("approved", "human:eve")


def test_pending_approvals_of_a_customer_and_action(uow: UnitOfWorkFactory) -> None:
    other = replace(approval(4, created="2026-11-16T00:00:00Z"), customer_id="cus_bob")
    cancel = replace(approval(5, created="2026-11-16T00:00:00Z"), action="cancel")
    with uow.write() as tx:
        for request in (approval(2, created="2026-11-16T00:00:02Z"), approval(1, created="2026-11-16T00:00:01Z")):
            tx.approvals.add(request)
        for request in (approval(3, created="2026-11-16T00:00:00Z"), other, cancel):
            tx.approvals.add(request)
        assert tx.approvals.decide("apr_3", approve=False, decided_by="human:eve", decided_at="t", reason="no")
    with uow.read() as tx:
        assert [a.id for a in tx.approvals.pending_of("cus_ana", "refund")] == ["apr_1", "apr_2"]
        assert [a.id for a in tx.approvals.pending_of("cus_bob", "refund")] == ["apr_4"]
        assert [a.id for a in tx.approvals.pending_of("cus_ana", "cancel")] == ["apr_5"]
        assert tx.approvals.pending_of("cus_ana", "pause") == []


def entry(n: int, day: str, minor: int, customer: str = "cus_ana") -> LedgerEntry:
    return LedgerEntry(
        action_id=f"act_{n}",
        conversation_id="cnv_1",
        customer_id=customer,
        charge_id="ch_1",
        amount=Money(minor, "usd"),
        day=day,
        created=day + "T10:00:00Z",
        state="reserved",
        counts=True,
        approved=False,
        refund_id=None,
        idempotency_key=f"key_{n}",
        updated_at="t0",
    )


def test_ledger(uow: UnitOfWorkFactory) -> None:
    with uow.write() as tx:
        for item in (entry(1, "2026-11-16", 500), entry(2, "2026-11-16", 700, "cus_bob"), entry(3, "2026-11-15", 900)):
            tx.ledger.reserve(item)
    with uow.write() as tx:
        tx.ledger.settle("act_1", refund_id="re_1", updated_at="t1")
        tx.ledger.settle("act_2", refund_id=None, updated_at="t1")
        tx.ledger.settle("act_1", refund_id=None, updated_at="t2")  # settled already: unchanged
    with uow.read() as tx:
        assert sorted(m.minor for m in tx.ledger.live_on_day("2026-11-16")) == [500]
        live = {e.action_id: e for e in tx.ledger.live_for_customer("cus_ana")}
        assert set(live) == {"act_1", "act_3"}
        assert (live["act_1"].state, live["act_1"].refund_id, live["act_1"].amount) == (
            "executed",
            "re_1",
            Money(500, "usd"),
        )
        assert tx.ledger.live_for_customer("cus_bob") == []


def test_audit_chain(uow: UnitOfWorkFactory) -> None:
    with uow.read() as tx:
        assert tx.audit.head().seq == 0 and tx.audit.head().hash == GENESIS
    with uow.write() as tx:
        first = tx.audit.append([draft("proposal", actor="model:offline", data={"a": 1}, conversation_id="cnv_1",
                                       at="2026-11-16T00:00:00Z")])  # fmt: skip
        more = tx.audit.append(
            [
                draft("confirmation", actor="customer:ana", data={}, action_id="act_1", at="2026-11-16T00:00:01Z"),
                draft("result", actor="system", data={"ok": True}, conversation_id="cnv_2", at="2026-11-16T00:00:02Z"),
            ]
        )  # fmt: skip
    records = first + more
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    assert all(r.hash == r.computed_hash() for r in records)
    with uow.read() as tx:
        assert tx.audit.head().seq == 3 and tx.audit.head().hash == records[-1].hash
        assert tx.audit.read() == records and tx.audit.walk() == records
        assert [r.seq for r in tx.audit.read(since="2026-11-16T00:00:01Z")] == [2, 3]
        assert [r.seq for r in tx.audit.read(conversation_id="cnv_1")] == [1]
        assert [r.seq for r in tx.audit.read(action_id="act_1")] == [2]


def test_a_failed_transaction_leaves_nothing(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError), uow.write() as tx:
        tx.actions.add([action(1)])
        tx.audit.append([draft("proposal", actor="system", data={})])
        raise RuntimeError("crash before commit")
    with uow.read() as tx:
        assert tx.actions.get("act_1") is None and tx.audit.head().seq == 0


def test_apply_writes_a_turn_batch_in_order(uow: UnitOfWorkFactory) -> None:
    with uow.write() as tx:
        tx.actions.add([action(1)])
    batch = TurnBatch()
    batch.add_action(action(2))
    batch.update_action("act_2", ActionChanges(status="refused", updated_at="t", reason="window"))
    batch.update_action("act_1", ActionChanges(status="declined", updated_at="t"), expect_status="needs_confirmation")
    batch.audit(draft("proposal", actor="system", data={"n": 2}, action_id="act_2"))
    with uow.write() as tx:
        sealed = tx.apply(batch)
    assert [r.action_id for r in sealed] == ["act_2"]
    with uow.read() as tx:
        statuses = {a.id: a.status for a in tx.actions.of_conversation("cnv_1")}
        assert statuses == {"act_1": "declined", "act_2": "refused"}


def conversation(cid: str = "cnv_1", created: str = "2026-11-16T00:00:00Z") -> ConversationRecord:
    return ConversationRecord(cid, "cus_ana", "web", "open", None, 0, 0, 0, created, created)


def test_conversation_turns(uow: UnitOfWorkFactory) -> None:
    with uow.write() as tx:
        tx.conversations.create(conversation())
    with uow.read() as tx:
        record = tx.conversations.get("cnv_1")
        assert record is not None and tx.conversations.get("cnv_nope") is None
    pending = PendingConfirmation("act_1", "cnv_1", "refund", "Refund $20.00", {"amount": "20.00"}, "pending")
    usage = UsageRow("offline", 1, 0, 0, "0", True)
    write = TurnWrite(
        turn=1,
        messages=('{"m":1}', '{"m":2}'),
        events=(("customer", {"type": "message", "text": "hi"}), ("agent", {"type": "message", "text": "hello"})),
        new_confirmations=(pending,),
        usage=(usage,),
        cost_usd="0.01",
        last_reply="hello",
    )
    with uow.write() as tx:
        written = tx.conversations.commit_turn(record, write)
    assert (written.version, written.turns, written.message_seq, written.event_seq) == (1, 1, 2, 2)
    with pytest.raises(ConversationBusy), uow.write() as tx:
        tx.conversations.commit_turn(record, TurnWrite(turn=1, messages=('{"lost":1}',)))  # the stale row
    with uow.write() as tx:
        final = tx.conversations.commit_turn(
            written, TurnWrite(turn=2, messages=('{"m":3}',), answered=(("act_1", "yes"),), status="handed_off")
        )
    assert final.handed_off and final.last_reply == "hello" and final.cost_usd == "0.01"
    with uow.read() as tx:
        repo = tx.conversations
        assert repo.messages("cnv_1") == ['{"m":1}', '{"m":2}', '{"m":3}']
        load = repo.load_turn("cnv_1", after_seq=2)
        assert load is not None and load.messages == ('{"m":3}',) and load.record == final
        assert repo.load_turn("cnv_1", after_seq=99).messages == ('{"m":1}', '{"m":2}', '{"m":3}')  # type: ignore[union-attr]
        assert repo.load_turn("cnv_nope") is None
        assert [(e.seq, e.role, e.event["text"]) for e in repo.transcript("cnv_1")] == [
            (1, "customer", "hi"),
            (2, "agent", "hello"),
        ]
        assert [e.seq for e in repo.transcript("cnv_1", after=1)] == [2]
        answered = repo.confirmation("act_1")
        assert answered is not None and answered.status == "yes" and answered.quote == {"amount": "20.00"}
        assert [c.action_id for c in repo.confirmations("cnv_1")] == ["act_1"]
        assert [u.turn for u in repo.usage("cnv_1")] == [1] and repo.usage("cnv_1", turn=2) == []


def test_recent_conversations(uow: UnitOfWorkFactory) -> None:
    with uow.write() as tx:
        for cid, created in (
            ("cnv_b", "2026-11-16T00:00:00Z"),
            ("cnv_a", "2026-11-16T00:00:00Z"),
            ("cnv_c", "2026-11-17T00:00:00Z"),
        ):
            tx.conversations.create(conversation(cid, created))
    with uow.read() as tx:
        assert [r.id for r in tx.conversations.recent(limit=10, offset=0)] == ["cnv_c", "cnv_a", "cnv_b"]
        assert [r.id for r in tx.conversations.recent(limit=1, offset=1)] == ["cnv_a"]
