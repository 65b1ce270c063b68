"""Live delivery and the runtime's event loop.

- `LiveHub`: per-conversation subscribers. `subscribe(cid, callback)` registers a plain callback
  (called from the runtime's thread; returns an unsubscribe function); `queue(cid)` gives an
  `asyncio.Queue` bound to the caller's running loop (the web app's SSE/WebSocket handler), fed
  thread-safely. Events are published after they are persisted.
- Transient events (`message_delta`: a streamed model reply growing) are never persisted and go
  only to subscribers that asked for them (`transient=True`); they are not part of any turn's
  returned events.
- `loop_runner()`: one process-wide background event loop on which every model run happens, so
  sync callers (CLI, gym, threads) and async callers (the web app) share HTTP clients safely. An
  async caller's coroutine is handed over with one wake-up of the runner's loop and its result comes
  back with one wake-up of the caller's loop (`_Handoff`), no `concurrent.futures` in between.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from purser.agent.events import AgentEvent, MessageDelta

__all__ = ["LiveHub", "LiveQueue", "LoopRunner", "loop_runner"]

T = TypeVar("T")

Callback = Callable[[str, list[AgentEvent]], None]
LiveEvent = AgentEvent | MessageDelta
TransientCallback = Callable[[str, list[LiveEvent]], None]


class LiveQueue:
    """An asyncio queue of event batches for one conversation; `close()` unsubscribes."""

    def __init__(self, hub: LiveHub, conversation_id: str, *, transient: bool = False) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[list[LiveEvent]] = asyncio.Queue()
        self._unsubscribe = hub.subscribe(conversation_id, self._push, transient=transient)

    def _push(self, _cid: str, events: list[LiveEvent]) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, list(events))

    async def get(self) -> list[LiveEvent]:
        """The next batch of events delivered to the conversation (deltas only with `transient=True`)."""
        return await self.queue.get()

    def close(self) -> None:
        """Stop receiving events."""
        self._unsubscribe()


class LiveHub:
    """Subscribers per conversation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[tuple[Callable[[str, list[Any]], None], bool]]] = {}
        self._everywhere: list[Callable[[str, list[Any]], None]] = []

    def subscribe(
        self, conversation_id: str, callback: Callback | TransientCallback, *, transient: bool = False
    ) -> Callable[[], None]:
        """Call `callback(conversation_id, events)` for every batch delivered; returns the unsubscribe function.

        With `transient=True` the callback also gets transient batches (`MessageDelta`s).
        """
        entry: tuple[Callable[[str, list[Any]], None], bool] = (callback, transient)
        with self._lock:
            self._subs.setdefault(conversation_id, []).append(entry)

        def unsubscribe() -> None:
            with self._lock:
                subs = self._subs.get(conversation_id, [])
                if entry in subs:
                    subs.remove(entry)
                if not subs:
                    self._subs.pop(conversation_id, None)

        return unsubscribe

    def subscribe_all(self, callback: Callback) -> Callable[[], None]:
        """Call `callback(conversation_id, events)` for every persisted batch of every conversation
        (channel deliveries); never for transient batches. Returns the unsubscribe function."""
        with self._lock:
            self._everywhere.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._everywhere:
                    self._everywhere.remove(callback)

        return unsubscribe

    def queue(self, conversation_id: str, *, transient: bool = False) -> LiveQueue:
        """An asyncio queue on the caller's running loop."""
        return LiveQueue(self, conversation_id, transient=transient)

    def listening(self, conversation_id: str) -> bool:
        """True when someone subscribed to the conversation's transient events."""
        with self._lock:
            return any(transient for _, transient in self._subs.get(conversation_id, []))

    def publish(self, conversation_id: str, events: Sequence[LiveEvent], *, transient: bool = False) -> None:
        """Deliver `events` to every subscriber (transient ones only to those that asked for them).

        A failing subscriber does not affect the others.
        """
        if not events:
            return
        with self._lock:
            subs = [cb for cb, wants in self._subs.get(conversation_id, []) if wants or not transient]
            if not transient:
                subs += self._everywhere
        for callback in subs:
            try:
                callback(conversation_id, list(events))
            except Exception:  # a broken listener must never break a turn
                continue


class _Handoff(Generic[T]):
    """One coroutine run on the runner's loop for a caller on another loop.

    `run_coroutine_threadsafe` + `wrap_future` would take the same two wake-ups but chain three
    futures through a `concurrent.futures.Future` (a condition variable and its lock per turn, and a
    callback that itself hops): here the runner's task reports straight to the caller's future.
    """

    __slots__ = ("caller", "cancelled", "coro", "outcome", "task")

    def __init__(self, coro: Coroutine[Any, Any, T], caller: asyncio.AbstractEventLoop) -> None:
        self.coro = coro
        self.caller = caller
        self.outcome: asyncio.Future[T] = caller.create_future()
        self.task: asyncio.Task[T] | None = None
        self.cancelled = False

    def start(self) -> None:
        """On the runner's loop: run the coroutine as a task (unless the caller gave up already)."""
        if self.cancelled:
            self.coro.close()
            return
        self.task = asyncio.get_running_loop().create_task(self.coro)
        self.task.add_done_callback(self._finished)

    def cancel(self) -> None:
        """On the runner's loop: the caller was cancelled, so is the task (as `wrap_future` does)."""
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()

    def _finished(self, task: asyncio.Task[T]) -> None:
        if not self.caller.is_closed():
            self.caller.call_soon_threadsafe(self._deliver, task)

    def _deliver(self, task: asyncio.Task[T]) -> None:
        # On the caller's loop: copy the task's outcome to the awaited future.
        if self.outcome.done():  # the caller was cancelled meanwhile: mark the error seen, drop it
            if not task.cancelled():
                task.exception()
            return
        if task.cancelled():
            self.outcome.cancel()
            return
        error = task.exception()
        if error is not None:
            self.outcome.set_exception(error)
        else:
            self.outcome.set_result(task.result())


class LoopRunner:
    """A daemon thread running one event loop; coroutines are submitted from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="purser-runtime-loop", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule `coro` on the loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop and wait for it (must not be called from the loop's own thread)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("Runtime's sync API called from inside the runtime loop; use the async API")
        return self.submit(coro).result()

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the loop from any other loop (or directly when already on it)."""
        if threading.current_thread() is self._thread:
            return await coro
        handoff = _Handoff(coro, asyncio.get_running_loop())
        self.loop.call_soon_threadsafe(handoff.start)
        try:
            return await handoff.outcome
        except asyncio.CancelledError:
            if not self.loop.is_closed():
                self.loop.call_soon_threadsafe(handoff.cancel)
            raise

    def close(self) -> None:
        """Stop and close the loop."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()


_runner: LoopRunner | None = None
_runner_lock = threading.Lock()


def loop_runner() -> LoopRunner:
    """The process-wide runner (started on first use, closed at exit)."""
    global _runner
    with _runner_lock:
        if _runner is None or _runner.loop.is_closed():
            _runner = LoopRunner()
            atexit.register(_runner.close)
        return _runner
