"""The PostgreSQL account snapshot in one statement reads exactly what the nine statements read.

Every kind of customer of the batch test's population, advanced over months (open and paid
invoices with lines, failed and refunded charges, credit, paused and canceled subscriptions), plus
a refund with metadata, a dispute and emails.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from purser.domain import ChargeId, CustomerId
from purser.money import Money
from purser.processors.errors import NotFound
from purser.processors.sandbox import SandboxProcessor, snapshot
from purser.store import Database
from purser.store import sandbox_tables as t

from .test_sbx_batch import populate

pytestmark = pytest.mark.postgres


def test_one_trip_snapshot_equals_the_nine_statements(sbx_pg_clean: Database, make_world: Any) -> None:
    processor = SandboxProcessor(sbx_pg_clean)
    populate(make_world(processor))
    processor.advance_clock(datetime(2027, 2, 20, tzinfo=UTC))
    charge = ChargeId("ch_cus_ok")
    processor.refund(charge, Money.parse("1.50", "usd"), reason="duplicate", metadata={"n": "é"}, idempotency_key="r")
    processor.open_dispute(ChargeId("ch_cus_seats"), idempotency_key="d")
    processor.notify(CustomerId("cus_ok"), kind="note", subject="Hi", body="x", idempotency_key="e")
    with sbx_pg_clean.read() as conn:
        customers = [r.id for r in conn.execute(select(t.customers.c.id))]
        assert len(customers) > 10
        for cid in customers:
            assert snapshot.build(conn, cid) == snapshot.build(conn, cid, one_trip=False), cid
        with pytest.raises(NotFound, match="no such customer"):
            snapshot.build(conn, "cus_missing")
