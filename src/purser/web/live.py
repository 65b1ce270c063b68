"""Live delivery of agent events to open widgets (Server-Sent Events).

The customer's own turn comes back in the response of
`POST /api/conversations/{id}/events`. What reaches the conversation later —
the turn the runtime runs after a human decides an approval (in the dashboard,
in Slack, in another process), or a human teammate's reply — comes over
`GET /api/conversations/{id}/stream`.

The source of truth is the persisted transcript (`ag_events`): a turn with no
customer event in it was not asked for by the widget, so the stream sends it.
Each SSE message carries one such turn, with `id` = the last transcript `seq`
of that turn, so a reconnecting `EventSource` resumes with `Last-Event-ID`.
Streams wake at once on `Runtime.subscribe` (in-process) and poll every
`poll_seconds` for turns committed by other processes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import func, select

from purser.store.agent_tables import ag_events
from purser.store.db import Database

Subscribe = Callable[[str, Callable[[str, list[Any]], None]], Callable[[], None]]


def out_of_band_after(db: Database, conversation_id: str, after: int) -> tuple[int, list[dict[str, Any]]]:
    """Turns after transcript position `after` that hold no customer event.

    Returns (new cursor, batches); each batch is `{"id", "turn", "source", "events"}`.
    The cursor only moves over whole turns (a turn is committed in one transaction).
    """
    query = (
        select(ag_events.c.seq, ag_events.c.turn, ag_events.c.role, ag_events.c.data)
        .where(ag_events.c.conversation_id == conversation_id, ag_events.c.seq > after)
        .order_by(ag_events.c.seq)
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
    turns: dict[int, list[Any]] = {}
    for row in rows:
        turns.setdefault(int(row.turn), []).append(row)
    cursor = after
    batches: list[dict[str, Any]] = []
    for turn, items in turns.items():
        cursor = max(cursor, max(int(r.seq) for r in items))
        if any(r.role == "customer" for r in items):
            continue
        roles = {str(r.role) for r in items}
        batches.append(
            {
                "id": max(int(r.seq) for r in items),
                "turn": turn,
                "source": "human" if roles == {"human"} else "agent",
                "events": [json.loads(r.data) for r in items],
            }
        )
    return cursor, batches


def transcript_position(db: Database, conversation_id: str) -> int:
    """The newest transcript `seq` of the conversation (0 when empty)."""
    query = select(func.max(ag_events.c.seq)).where(ag_events.c.conversation_id == conversation_id)
    with db.read() as conn:
        value = conn.execute(query).scalar()
    return int(value or 0)


async def stream_turns(
    db: Database,
    subscribe: Subscribe,
    conversation_id: str,
    after: int,
    *,
    poll_seconds: float,
    heartbeat_seconds: float = 15.0,
) -> AsyncIterator[dict[str, Any]]:
    """SSE messages for sse-starlette: `ready`, then one `agent_events` per out-of-band turn, `ping` while idle."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def on_batch(_cid: str, _events: list[Any]) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    unsubscribe = subscribe(conversation_id, on_batch)
    cursor = after
    idle = 0.0
    try:
        yield {"event": "ready", "data": json.dumps({"conversation_id": conversation_id, "after": cursor})}
        while True:
            wake.clear()
            cursor, batches = await asyncio.to_thread(out_of_band_after, db, conversation_id, cursor)
            for batch in batches:
                payload = {"source": batch["source"], "turn": batch["turn"], "events": batch["events"]}
                yield {"event": "agent_events", "id": str(batch["id"]), "data": json.dumps(payload)}
            if batches:
                idle = 0.0
            try:
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
            except TimeoutError:
                idle += poll_seconds
                if idle >= heartbeat_seconds:
                    idle = 0.0
                    yield {"event": "ping", "data": "{}"}
    finally:
        unsubscribe()


__all__ = ["out_of_band_after", "stream_turns", "transcript_position"]
