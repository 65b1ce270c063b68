"""The one snapshot serializer: the model's view and the operator's view of the same snapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from purser.app import build_for_world
from purser.domain import AccountSnapshot, CustomerId
from purser.domain.serialize import RECENT, snapshot_json
from purser.money import Money
from purser.worlds.seed import demo_world


@pytest.fixture(scope="module")
def snapshots() -> list[AccountSnapshot]:
    world, now = demo_world()
    container = build_for_world(world, now)
    try:
        return [container.processor.snapshot(c.id) for c in container.processor.list_customers(limit=100)]
    finally:
        container.close()


def test_agent_view_is_the_lookup_account_contract(snapshots: list[AccountSnapshot]) -> None:
    for snap in snapshots:
        data = snapshot_json(snap)
        assert list(data) == [
            "now", "customer", "subscription", "next_invoice", "payment_method", "past_due",
            "charges", "invoices", "refunds", "plans",
        ]  # fmt: skip
        assert set(data["customer"]) == {"id", "name", "email", "address", "vat_id"}
        assert len(data["charges"]) <= RECENT and len(data["invoices"]) <= RECENT
        assert datetime.strptime(data["now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        json.dumps(data)  # JSON all the way down


def test_full_view_holds_everything(snapshots: list[AccountSnapshot]) -> None:
    ana = next(s for s in snapshots if s.customer.id == CustomerId("cus_ana"))
    data = snapshot_json(ana, "full")
    for key in ("billing", "payment_methods", "invoices", "charges", "refunds", "disputes", "emails"):
        assert key in data
    assert all("lines" in i for i in data["invoices"])
    assert all({"default", "behavior"} <= set(p) for p in data["payment_methods"])
    assert len(data["charges"]) == len(ana.charges)


def test_an_unknown_view_is_refused(snapshots: list[AccountSnapshot]) -> None:
    with pytest.raises(ValueError, match="agent or full"):
        snapshot_json(snapshots[0], "everything")  # type: ignore[arg-type]


def test_the_agent_view_keeps_pieces_of_unchanged_entities_and_rebuilds_changed_ones() -> None:
    from purser.domain import serialize

    world, now = demo_world()
    container = build_for_world(world, now)
    try:
        processor = container.processor
        ana = CustomerId("cus_ana")
        first = snapshot_json(processor.snapshot(ana))
        again = snapshot_json(processor.snapshot(ana))
        assert again == first
        # The same immutable entities read again: their pieces are shared, not built again.
        assert again["invoices"] and all(a is b for a, b in zip(again["invoices"], first["invoices"], strict=True))
        assert again["customer"] is first["customer"]
        charge = next(c for c in processor.snapshot(ana).charges if c.refundable.minor > 100)
        processor.refund(charge.id, Money(100, charge.amount.currency), reason=None, metadata={}, idempotency_key="k1")
        snap = processor.snapshot(ana)
        after = snapshot_json(snap)
        serialize.forget_pieces()
        assert after == snapshot_json(snap)  # what a fresh serialization says
        refunded = next(c for c in after["charges"] if c["id"] == charge.id)
        before = next(c for c in first["charges"] if c["id"] == charge.id)
        assert refunded["refunded"] != before["refunded"]
        assert [c for c in after["charges"] if c["id"] != charge.id] == [
            c for c in first["charges"] if c["id"] != charge.id
        ]
    finally:
        container.close()


def test_pieces_are_kept_for_the_most_recently_viewed_accounts_only(
    snapshots: list[AccountSnapshot], monkeypatch: pytest.MonkeyPatch
) -> None:
    from purser.domain import serialize
    from purser.memo import PerAccount

    expected = [snapshot_json(s) for s in snapshots]
    monkeypatch.setattr(serialize, "_PIECES", PerAccount(1))
    monkeypatch.setattr(serialize, "PLAN_PIECES_LIMIT", 2)
    serialize.forget_pieces()
    assert [snapshot_json(s) for s in snapshots] == expected
    assert len(serialize._PIECES) == 1 and len(serialize._PLAN_PIECES) <= 2
