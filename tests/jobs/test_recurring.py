"""Recurring jobs as chains of slot-keyed runs: each slot runs once however many processes seed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from purser.app import build_jobs, memory_database
from purser.config import Settings
from purser.ports.jobs import JobContext, Payload, continue_recurring, next_slot, schedule_recurring, slot_of


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), st.integers(1, 7200))
def test_the_next_slot_is_the_first_grid_point_after(moment: datetime, seconds: int) -> None:
    at = moment.replace(tzinfo=UTC)
    slot = next_slot(at, timedelta(seconds=seconds))
    assert at < slot <= at + timedelta(seconds=seconds)
    assert int(slot.timestamp()) % seconds == 0


def test_a_chain_runs_each_slot_once_and_moves_on() -> None:
    db = memory_database()
    queue, _ = build_jobs(Settings(database_url="sqlite://"), db, memory=True)
    every = timedelta(seconds=30)
    ran: list[datetime] = []

    def tick(_payload: Payload, context: JobContext) -> None:
        continue_recurring(queue, context, every=every)
        ran.append(slot_of(context.key))

    queue.register("test.tick", tick)
    start = datetime(2026, 12, 7, 12, 0, 5, tzinfo=UTC)
    assert schedule_recurring(queue, "test.tick", every=every, now=start) is True
    assert schedule_recurring(queue, "test.tick", every=every, now=start + timedelta(seconds=1)) is False
    queue.run_due(now=datetime(2026, 12, 7, 12, 0, 31, tzinfo=UTC))
    assert ran[0] == datetime(2026, 12, 7, 12, 0, 30, tzinfo=UTC)
    assert len(ran) == len(set(ran))  # no slot twice
    db.dispose()


def test_a_run_under_a_hand_made_key_still_continues_the_chain() -> None:
    db = memory_database()
    queue, _ = build_jobs(Settings(database_url="sqlite://"), db, memory=True)
    every = timedelta(seconds=30)
    queue.register("test.tick", lambda _p, context: continue_recurring(queue, context, every=every) and None)
    queue.enqueue("test.tick", {}, key="test.tick:by-hand")
    queue.run_due()
    assert [r.status for r in queue.records(limit=10) if r.key == "test.tick:by-hand"] == ["done"]
    assert any(r.key != "test.tick:by-hand" for r in queue.records(status="queued", limit=10))
    db.dispose()
