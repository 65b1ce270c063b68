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

While a reply streams in this process, its text deltas are forwarded as they
come, as `message_delta` messages without an `id` (transient: never persisted,
never replayed); the widget grows the reply from them and replaces it by the
turn's `message` event (from the POST response, or the turn's `agent_events`).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from purser.agent.events import MessageDelta
from purser.ports.conversations import ConversationRecord, TranscriptEntry


class Transcripts(Protocol):
    """What the stream reads of the conversations (`Runtime.store`)."""

    def transcript(self, conversation_id: str, *, after: int = 0) -> list[TranscriptEntry]:
        """Transcript events with `seq > after`, in order."""
        ...

    def get(self, conversation_id: str) -> ConversationRecord:
        """The conversation (its `event_seq` is the newest transcript position)."""
        ...


class Subscribe(Protocol):
    """`Runtime.subscribe`: live batches of a conversation, transient deltas included on request."""

    def __call__(
        self, conversation_id: str, callback: Callable[[str, list[Any]], None], *, transient: bool = ...
    ) -> Callable[[], None]: ...


def out_of_band_after(store: Transcripts, conversation_id: str, after: int) -> tuple[int, list[dict[str, Any]]]:
    """Turns after transcript position `after` that hold no customer event.

    Returns (new cursor, batches); each batch is `{"id", "turn", "source", "events"}`.
    The cursor only moves over whole turns (a turn is committed in one transaction).
    """
    turns: dict[int, list[TranscriptEntry]] = {}
    for entry in store.transcript(conversation_id, after=after):
        turns.setdefault(entry.turn, []).append(entry)
    cursor = after
    batches: list[dict[str, Any]] = []
    for turn, items in turns.items():
        cursor = max(cursor, max(e.seq for e in items))
        if any(e.role == "customer" for e in items):
            continue
        roles = {e.role for e in items}
        batches.append(
            {
                "id": max(e.seq for e in items),
                "turn": turn,
                "source": "human" if roles == {"human"} else "agent",
                "events": [e.event for e in items],
            }
        )
    return cursor, batches


def transcript_position(store: Transcripts, conversation_id: str) -> int:
    """The newest transcript `seq` of the conversation (0 when empty); read from the conversation's counter."""
    return store.get(conversation_id).event_seq


async def stream_turns(
    store: Transcripts,
    subscribe: Subscribe,
    conversation_id: str,
    after: int,
    *,
    poll_seconds: float,
    heartbeat_seconds: float = 15.0,
) -> AsyncIterator[dict[str, Any]]:
    """SSE messages for sse-starlette: `ready`, then one `agent_events` per out-of-band turn, `ping` while idle.

    `message_delta` messages carry a reply's text while it streams (transient, no `id`).
    """
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    deltas: deque[dict[str, Any]] = deque()
    committed = [False]  # a persisted batch arrived: read the transcript now

    def arrived(items: list[dict[str, Any]] | None) -> None:  # on `loop`
        if items is None:
            committed[0] = True
        else:
            deltas.extend(items)
        wake.set()

    def on_batch(_cid: str, events: list[Any]) -> None:
        items = [e.wire() for e in events if isinstance(e, MessageDelta)]
        if not loop.is_closed():
            loop.call_soon_threadsafe(arrived, items if items and len(items) == len(events) else None)

    unsubscribe = subscribe(conversation_id, on_batch, transient=True)
    cursor = after
    idle = 0.0
    read_now = True
    try:
        yield {"event": "ready", "data": json.dumps({"conversation_id": conversation_id, "after": cursor})}
        while True:
            if read_now:
                read_now = False
                cursor, batches = await asyncio.to_thread(out_of_band_after, store, conversation_id, cursor)
                for batch in batches:
                    payload = {"source": batch["source"], "turn": batch["turn"], "events": batch["events"]}
                    yield {"event": "agent_events", "id": str(batch["id"]), "data": json.dumps(payload)}
                if batches:
                    idle = 0.0
            while deltas:
                idle = 0.0
                yield {"event": "message_delta", "data": json.dumps(deltas.popleft())}
            if committed[0]:
                committed[0], read_now = False, True
                continue
            wake.clear()  # nothing was awaited since the checks above, so nothing can be missed
            try:
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
            except TimeoutError:
                read_now = True
                idle += poll_seconds
                if idle >= heartbeat_seconds:
                    idle = 0.0
                    yield {"event": "ping", "data": "{}"}
    finally:
        unsubscribe()


__all__ = ["out_of_band_after", "stream_turns", "transcript_position"]
