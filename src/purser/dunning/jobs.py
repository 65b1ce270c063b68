"""Dunning on the job queue: a periodic `dunning.tick`, one `dunning.case` job per due step, and
`dunning.event` for processor events that arrive as webhooks.

    dunning.tick   key dunning.tick:<slot>              reads new processor events, then enqueues a
                                                         `dunning.case` job for every case with a due
                                                         action, then schedules the next slot's tick
    dunning.case   key dunning.case:<case>:<step>:<action>   runs the case's due actions
    dunning.event  key dunning.event:<event id>          opens or closes a case from one event

Keys make each unique: two workers (or two processes seeding the first tick) enqueue one job per
slot, per due step and per event; the effects inside are keyed too (see `service.py`), so a worker
killed mid-job and re-run sends and charges nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from purser.domain import Event
from purser.domain.ids import EventId
from purser.dunning.cadence import due_actions
from purser.dunning.cases import DunningCaseId
from purser.dunning.service import HANDLED_EVENTS, Dunning
from purser.ports.jobs import JobContext, JobQueue, Payload, continue_recurring, schedule_recurring

__all__ = [
    "CASE_KIND",
    "EVENT_KIND",
    "TICK_EVERY",
    "TICK_KIND",
    "enqueue_event",
    "register_dunning_jobs",
    "schedule_tick",
]

TICK_KIND = "dunning.tick"
CASE_KIND = "dunning.case"
EVENT_KIND = "dunning.event"
TICK_EVERY = timedelta(minutes=5)
"""How often the cadence is evaluated in `purser serve` / `purser worker` (wall clock)."""

_DUNNING_EVENTS = HANDLED_EVENTS


def schedule_tick(queue: JobQueue, *, now: datetime | None = None, every: timedelta = TICK_EVERY) -> bool:
    """Enqueue the tick of the next slot after `now` (wall clock); False when it is enqueued already."""
    return schedule_recurring(queue, TICK_KIND, every=every, now=now)


def enqueue_event(queue: JobQueue, event: Mapping[str, Any]) -> bool:
    """Hand a processor event (Stripe's JSON shape) to dunning, once per event id; ignores other types."""
    event_id, kind = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id or not kind.startswith(_DUNNING_EVENTS):
        return False
    return queue.enqueue(EVENT_KIND, {"event": json.dumps(dict(event))}, key=f"{EVENT_KIND}:{event_id}")


def event_of(raw: Mapping[str, Any]) -> Event:
    """A domain `Event` from Stripe's JSON event (`created` in Unix seconds)."""
    created = raw.get("created")
    at = datetime.fromtimestamp(int(created), UTC) if isinstance(created, int | float) else datetime.now(UTC)
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    return Event(id=EventId(str(raw["id"])), type=str(raw["type"]), created=at, data=dict(data or {}))


def register_dunning_jobs(queue: JobQueue, dunning: Dunning, *, every: timedelta = TICK_EVERY) -> None:
    """Register the three kinds on `queue` (at bootstrap, before workers start)."""

    def tick(_payload: Payload, context: JobContext) -> None:
        dunning.sync()
        now = dunning.processor.now()
        after = None
        while cases := dunning.repo.open_cases(limit=500, after=after):
            for case in cases:
                due = due_actions(case, dunning.policy, dunning.zone(case), now)
                if due:
                    first = due[0]
                    key = f"{CASE_KIND}:{case.id}:{first.step}:{first.action.value}"
                    queue.enqueue(CASE_KIND, {"case": case.id}, key=key)
            after = cases[-1].id
        # The next slot after this one (a tick run early by `run_due(now=...)` still moves the chain on).
        continue_recurring(queue, context, every=every)

    def run_case(payload: Payload, _context: JobContext) -> None:
        case = dunning.repo.get(DunningCaseId(str(payload.get("case"))))
        if case is not None and case.is_open:
            dunning.run_case(case)

    def on_event(payload: Payload, _context: JobContext) -> None:
        dunning.on_event(event_of(json.loads(str(payload.get("event") or "{}"))))

    queue.register(TICK_KIND, tick, retries=3, retry_delay_seconds=30)
    queue.register(CASE_KIND, run_case, retries=8, retry_delay_seconds=30)
    queue.register(EVENT_KIND, on_event, retries=8, retry_delay_seconds=10)
