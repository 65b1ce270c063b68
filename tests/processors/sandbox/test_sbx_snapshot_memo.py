"""The snapshot maps a row the account's last read mapped to the entity it built then: equal to a
fresh mapping, a changed row is mapped afresh, and only the latest read's entities are kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from purser.domain import ChargeId, CustomerId
from purser.memo import PerAccount
from purser.money import Money
from purser.processors.sandbox import SandboxProcessor, rows, snapshot
from purser.store import Database

from .test_sbx_batch import populate


def _fresh(conn: Any, customer_id: str) -> dict[str, Any]:
    # What the snapshot's mappers build from the rows, with no memo involved.
    parts = snapshot._fetch(conn, {"customer_id": customer_id})
    return {
        "charges": tuple(rows.charge(r) for r in parts[5]),
        "invoices": len({r[0] for r in parts[3]}),
        "customer": rows.customer(parts[0][0][:-1]),
    }


def test_a_row_read_again_is_the_same_entity_and_a_changed_one_is_new(db: Database, make_world: Any) -> None:
    processor = SandboxProcessor(db)
    populate(make_world(processor))
    processor.advance_clock(datetime(2027, 2, 20, tzinfo=UTC))
    # The memo keeps the most recently read accounts: empty it so that what earlier tests left cannot
    # push this account out between the two reads.
    snapshot.forget_rows()
    cid = CustomerId("cus_ok")
    first = processor.snapshot(cid)
    again = processor.snapshot(cid)
    assert again == first and again is not first
    assert all(a is b for a, b in zip(again.invoices, first.invoices, strict=True))
    assert all(a is b for a, b in zip(again.charges, first.charges, strict=True))
    assert again.customer is first.customer

    charge = first.charges[0]
    processor.refund(ChargeId(charge.id), Money.parse("1.50", "usd"), reason=None, metadata={}, idempotency_key="r")
    after = processor.snapshot(cid)
    changed = next(c for c in after.charges if c.id == charge.id)
    assert changed is not charge and changed.amount_refunded == Money.parse("1.50", "usd")
    assert [c for c in after.charges if c.id != charge.id] == [c for c in first.charges if c.id != charge.id]
    with db.read() as conn:
        fresh = _fresh(conn, cid)
    assert after.charges == fresh["charges"]
    assert len(after.invoices) == fresh["invoices"]
    assert after.customer == fresh["customer"]


def test_only_the_latest_read_of_the_most_recent_accounts_is_kept(
    db: Database, make_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "_ROWS", PerAccount(2))
    processor = SandboxProcessor(db)
    populate(make_world(processor))
    processor.advance_clock(datetime(2027, 2, 20, tzinfo=UTC))
    with db.read() as conn:
        for cid in ("cus_ok", "cus_seats", "cus_eu", "cus_ok"):
            assert snapshot.build(conn, cid) == snapshot.build(conn, cid, one_trip=False)
    assert len(snapshot._ROWS) == 2  # cus_eu and cus_ok
    first = processor.snapshot(CustomerId("cus_ok"))
    kept = snapshot._ROWS.entries()
    charge = first.charges[0]
    processor.refund(ChargeId(charge.id), Money.parse("1.00", "usd"), reason=None, metadata={}, idempotency_key="m")
    after = processor.snapshot(CustomerId("cus_ok"))
    # The refunded charge's old entity is dropped with the read that no longer uses it: what is
    # kept grows only by the rows the account gained (the refund is not kept: it holds a dict).
    assert all(c is not charge for c in after.charges)
    assert snapshot._ROWS.entries() == kept + len(after.emails) - len(first.emails)
