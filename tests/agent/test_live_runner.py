"""`LoopRunner.run_async`: a coroutine handed from another event loop to the runner's loop gives back
its result or its error, and cancelling the caller cancels the run on the runner's loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from purser.agent.live import LoopRunner


class Boom(Exception):
    """The coroutine's own error."""


async def _where() -> threading.Thread:
    return threading.current_thread()


async def _fail() -> None:
    raise Boom("from the runner")


def test_the_coroutine_runs_on_the_runner_thread_and_its_result_or_error_comes_back() -> None:
    runner = LoopRunner()
    try:

        async def caller() -> None:
            assert await runner.run_async(_where()) is runner._thread
            with pytest.raises(Boom, match="from the runner"):
                await runner.run_async(_fail())
            # Many at once, each with its own result.
            assert await asyncio.gather(*(runner.run_async(asyncio.sleep(0, result=n)) for n in range(50))) == list(
                range(50)
            )

        asyncio.run(caller())
    finally:
        runner.close()


def test_cancelling_the_caller_cancels_the_run_on_the_runner_loop() -> None:
    runner = LoopRunner()
    started = threading.Event()
    cancelled = threading.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    try:

        async def caller() -> None:
            task = asyncio.ensure_future(runner.run_async(slow()))
            while not started.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(caller())
        assert cancelled.wait(5), "the run on the runner's loop was not cancelled"
    finally:
        runner.close()


def test_a_caller_cancelled_before_the_handoff_starts_never_runs_the_coroutine() -> None:
    runner = LoopRunner()
    ran = threading.Event()
    gate = threading.Event()

    async def marked() -> None:
        ran.set()

    try:
        runner.loop.call_soon_threadsafe(gate.wait, 5)  # keep the runner's loop busy until the cancel is queued

        async def caller() -> None:
            task = asyncio.ensure_future(runner.run_async(marked()))
            await asyncio.sleep(0)  # the handoff is queued behind the gate
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            gate.set()

        asyncio.run(caller())
        runner.run(asyncio.sleep(0))  # both queued callbacks (start, then cancel) have run
        assert not ran.is_set()
    finally:
        gate.set()
        runner.close()
