"""The concurrency limit threads and tasks share (LLMOrchMiddleware's max_concurrency)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from langchain_llmorch.agent.middleware._limits import Limiter


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Limiter(0)


async def test_a_cancelled_waiter_gives_no_place_away_and_takes_none() -> None:
    limit = Limiter(1)
    await limit.aacquire()
    waiter = asyncio.create_task(limit.aacquire())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limit.release()
    assert limit.held == 0
    async with limit.ahold():
        assert limit.held == 1


async def test_a_waiter_cancelled_after_its_grant_passes_the_place_on() -> None:
    limit = Limiter(1)
    await limit.aacquire()
    first = asyncio.create_task(limit.aacquire())
    second = asyncio.create_task(limit.aacquire())
    await asyncio.sleep(0.01)
    limit.release()  # granted to `first`, whose wake-up is scheduled on the loop
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, 1)  # the place went on to `second`
    assert limit.held == 1
    limit.release()
    assert limit.held == 0


async def test_threads_and_tasks_wait_in_arrival_order() -> None:
    limit = Limiter(1)
    order: list[str] = []
    limit.acquire()
    thread_waiting = threading.Event()

    def in_thread() -> None:
        thread_waiting.set()
        with limit.hold():
            order.append("thread")

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread_waiting.wait()
    await asyncio.sleep(0.05)  # the thread is queued first

    async def in_task() -> None:
        async with limit.ahold():
            order.append("task")

    task = asyncio.create_task(in_task())
    await asyncio.sleep(0.01)
    limit.release()
    await asyncio.wait_for(task, 2)
    thread.join(2)
    assert order == ["thread", "task"]
    assert limit.held == 0
