"""Sync inout calls go from the coordinator straight to a thread (`engine.direct`).

No task per call, one wake-up of the loop for the calls that finish together, and the
same isolation as before: typed timeouts, abandoned threads, a `BaseException` (even a
`CancelledError` raised by the tool's own code) failing only its call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, inout, parse_plan
from langchain_llmorch.engine import _coordinator
from langchain_llmorch.engine.calls import CallRunner
from langchain_llmorch.engine.direct import DirectCalls
from langchain_llmorch.errors import CallFailedError, CallTimeoutError

HOLD = threading.Event()
RUNNING = threading.Event()


@inout
def echo(x: Any = None) -> Any:
    """Return x."""
    return x


@inout
async def aecho(x: Any = None) -> Any:
    """Return x, async."""
    return x


@inout
def cancels(x: int = 0) -> int:
    """Raise asyncio's CancelledError from the tool's own code, in its thread."""
    raise asyncio.CancelledError


@inout
def held(x: int = 0) -> int:
    """Block until the test lets it go."""
    RUNNING.set()
    HOLD.wait(30)
    return x


TOOLS = [echo, aecho, cancels, held]


@pytest.fixture
def hold() -> Any:
    HOLD.clear()
    RUNNING.clear()
    yield
    HOLD.set()


def frg_of(text: str) -> Any:
    return build_frg(parse_plan(text), TOOLS)


def test_sync_calls_take_no_task_and_async_calls_do(monkeypatch: pytest.MonkeyPatch) -> None:
    spawned: list[str] = []
    real = _coordinator.PlanRun.spawn

    def counting(self: Any, cid: str, work: Any) -> None:
        spawned.append(cid)
        real(self, cid, work)

    monkeypatch.setattr(_coordinator.PlanRun, "spawn", counting)
    text = "\n".join([*(f"s{i}: echo(x={i})" for i in range(5)), "a1: aecho(x=s1)"])
    result = Orchestrator(TOOLS).run(frg_of(text))
    assert result.results == {**{f"s{i}": i for i in range(5)}, "a1": 1}
    assert spawned == ["a1"]
    assert {r.id for r in result.trace} == {*(f"s{i}" for i in range(5)), "a1"}


def test_a_sync_tool_raising_cancelled_error_fails_only_its_call() -> None:
    result = Orchestrator(TOOLS).run(frg_of("s1: cancels()\ns2: echo(x=2)\ns3: echo(x=s1)"))
    assert result.results == {"s2": 2}
    assert isinstance(result.errors["s1"], CallFailedError)
    assert isinstance(result.errors["s1"].__cause__, asyncio.CancelledError)
    assert result.skipped == ["s3"]


def test_a_call_that_ends_after_its_timeout_lands_once(
    hold: None, caplog: pytest.LogCaptureFixture
) -> None:
    orch = Orchestrator(TOOLS, call_timeout=0.2)
    before = orch.threads.stuck
    result = orch.run(frg_of("s1: held(x=1)\ns2: echo(x=2)"))
    assert isinstance(result.errors["s1"], CallTimeoutError)
    assert result.results == {"s2": 2}
    assert [r.id for r in result.trace].count("s1") == 1
    assert orch.threads.stuck == before + 1  # its thread was given up
    with caplog.at_level(logging.ERROR):
        HOLD.set()  # the thread ends after its run (and its loop) are gone
        deadline = time.monotonic() + 10
        while orch.threads.stuck > before and time.monotonic() < deadline:
            time.sleep(0.02)
    assert orch.threads.stuck == before
    assert not [r for r in caplog.records if "callback" in r.getMessage()]


async def test_a_cancelled_run_abandons_its_direct_calls(hold: None) -> None:
    orch = Orchestrator(TOOLS)
    before = orch.threads.stuck
    run = asyncio.ensure_future(orch.arun(frg_of("s1: held(x=1)")))
    await asyncio.to_thread(RUNNING.wait, 10)  # the tool runs in its thread
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert orch.threads.stuck == before + 1  # given up, not waited for
    HOLD.set()


async def test_calls_that_finish_together_wake_the_loop_once() -> None:
    delivered: list[Future[Any]] = []
    runner = CallRunner({}, Orchestrator(TOOLS).threads, None, None, {})
    direct = DirectCalls(runner, deliver=delivered.append)
    loop = asyncio.get_running_loop()
    wakeups = 0
    real = loop.call_soon_threadsafe

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal wakeups
        wakeups += 1
        return real(*args, **kwargs)

    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:
        futures: list[Future[Any]] = [Future() for _ in range(3)]
        # Three threads finish while the loop is busy (this coroutine holds it)...
        finishing = [threading.Thread(target=direct._from_thread, args=(f,)) for f in futures]
        for thread in finishing:
            thread.start()
        for thread in finishing:
            thread.join()
        assert wakeups == 1
        await asyncio.sleep(0)  # ...and the loop takes all three at its one wake-up
        assert delivered == futures
        direct._from_thread(futures[0])  # the inbox was drained: wakes again
        assert wakeups == 2
    finally:
        del loop.call_soon_threadsafe
