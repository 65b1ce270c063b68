"""`QuietServer`: uvicorn's server for `purser serve`, waking once a second while idle instead of ten times.

uvicorn's main loop sleeps 0.1 s at a time to see whether a signal asked it to stop (and refreshes
the `Date` header every tenth wake-up). On a small machine those ten wake-ups a second of the event
loop's thread compete with the turns for the cores. Here the loop wakes once a second (the `Date`
header still changes every second) and a signal wakes it at once, so stopping is as prompt as before.
"""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn

__all__ = ["QuietServer"]

_COUNTS_PER_TICK = 10
"""uvicorn's `on_tick` counts tenths of a second (it refreshes `Date` when the count is a multiple of 10)."""


class QuietServer(uvicorn.Server):
    """uvicorn's `Server` with a one-second idle tick and a shutdown woken by the signal itself."""

    tick_seconds = 1.0  # float-ok: seconds

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tick: asyncio.Future[None] | None = None

    async def main_loop(self) -> None:
        """Tick once a second until asked to stop (a signal, or `should_exit` seen at a tick)."""
        loop = self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + _COUNTS_PER_TICK) % 864000
            # A bare future and a timer: no task, no timeout exception per tick (as `wait_for` would make).
            tick = self._tick = loop.create_future()
            if not self.should_exit:  # a signal since the last check found no future to wake
                timer = loop.call_later(self.tick_seconds, _wake, tick)
                await tick
                timer.cancel()
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """uvicorn's signal handling, then wake the main loop so it stops now rather than at its next tick."""
        super().handle_exit(sig, frame)
        loop, tick = self._loop, self._tick
        if loop is not None and tick is not None and not loop.is_closed():
            loop.call_soon_threadsafe(_wake, tick)


def _wake(tick: asyncio.Future[None]) -> None:
    if not tick.done():
        tick.set_result(None)
