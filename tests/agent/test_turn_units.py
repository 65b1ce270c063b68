"""A customer turn's store traffic: a message turn is one read and one write of the store's units of
work (the conversation, its history, confirmations and gateway actions read together; the proposals'
rows and audit records written with the turn); a confirmation's turn reads the answered action with
the conversation instead of on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from purser.agent.events import CustomerConfirm, CustomerMessage
from purser.app import Container
from purser.config import Settings


class Counting:
    """Wraps a unit-of-work factory and counts the units opened."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads = 0
        self.writes = 0

    @contextmanager
    def read(self) -> Iterator[Any]:
        self.reads += 1
        with self.inner.read() as uow:
            yield uow

    @contextmanager
    def write(self) -> Iterator[Any]:
        self.writes += 1
        with self.inner.write() as uow:
            yield uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_message_turn_reads_once_and_writes_once(make_world: Callable[..., Container]) -> None:
    c = make_world(Settings())
    rt = c.runtime
    counting = Counting(rt.store.units)
    rt.store.units = counting
    rt.gateway.uow = counting
    cid = rt.start("cus_ana")
    counting.reads = counting.writes = 0
    events = rt.handle(cid, CustomerMessage(text="Hi, I was charged twice on November 1st?"))
    assert events[-1].type == "message" and "duplicate" in events[-1].text
    # lookup_account and the refund's quote ran as proposals: their rows came with the conversation's read.
    assert (counting.reads, counting.writes) == (1, 1)
    counting.reads = counting.writes = 0
    events = rt.handle(cid, CustomerMessage(text="Yes, please refund the extra one."))
    asks = [e for e in events if e.type == "confirmation_request"]
    assert len(asks) == 1 and asks[0].action == "refund"
    refund_reads = counting.reads
    assert counting.writes == 1
    # The refund's quote reads the ledger's envelope usage (one read of its own).
    assert refund_reads == 2

    counting.reads = 0
    before = rt.gateway._row  # counting the gateway's own row reads

    rows: list[str] = []

    def row(action_id: str, batch: Any = None) -> Any:
        rows.append(action_id)
        return before(action_id, batch)

    rt.gateway._row = row  # type: ignore[method-assign]
    events = rt.handle(cid, CustomerConfirm(action_id=asks[0].action_id, decision="yes"))
    assert any(e.type == "action_result" and e.status == "succeeded" for e in events)
    assert asks[0].action_id not in rows[:1]  # the answered action came with the conversation's read
    assert [a["status"] for a in rt.gateway.actions(cid) if a["id"] == asks[0].action_id] == ["succeeded"]


def test_a_turn_appends_its_audit_records_once() -> None:
    """The gateway's buffered audit records and the turn's own go to the chain in one append (one
    chain lock, one head read), the batch's first; the caller's batch is left as it was."""
    from purser.agent.transcript import ConversationStore
    from purser.ports.audit import draft
    from purser.ports.conversations import TurnWrite
    from purser.ports.unit_of_work import TurnBatch
    from purser.testing.memory import MemoryAuditRepository, MemoryUnitOfWorkFactory

    appends: list[list[str]] = []
    inner_append = MemoryAuditRepository.append

    def append(self: MemoryAuditRepository, drafts: Any) -> Any:
        appends.append([d.kind for d in drafts])
        return inner_append(self, drafts)

    store = ConversationStore(MemoryUnitOfWorkFactory())
    cid = store.create("cus_ana", "web")
    batch = TurnBatch()
    batch.audit(draft("proposal", actor="model:offline", data={"n": 1}, conversation_id=cid))
    own = draft("handoff", actor="system", data={"n": 2}, conversation_id=cid)
    MemoryAuditRepository.append = append  # type: ignore[method-assign]
    try:
        store.commit_turn(store.get(cid), TurnWrite(turn=1, audit=(own,)), batch=batch)
    finally:
        MemoryAuditRepository.append = inner_append  # type: ignore[method-assign]
    assert appends == [["proposal", "handoff"]]
    assert [d.kind for d in batch.drafts()] == ["proposal"]
