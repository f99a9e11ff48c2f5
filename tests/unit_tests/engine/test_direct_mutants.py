"""Direct calls (`engine/direct.py`): what lands, when, and what a cancelled run gives up.

Written for the mutants of `engine/direct.py` that the run-level tests let live. Each test
drives `DirectCalls` on its own thread pool and states one rule of the module: a call
lands once with its value or its own error; a call past `call_timeout` is delivered by
its timer, lands as a `CallTimeoutError` and gives its thread up; a call that lands in
time stops its timer; a cancelled run gives up every call in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from langchain_llmorch import inout
from langchain_llmorch.engine.backend import InoutThreads
from langchain_llmorch.engine.calls import CallRunner
from langchain_llmorch.engine.direct import DirectCalls, Landed
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.errors import CallFailedError, CallTimeoutError

RELEASE = threading.Event()


@inout
def echo(x: Any = None) -> Any:
    """Return x."""
    return x


@inout
def refuses(x: int = 0) -> int:
    """Raise an ordinary error."""
    msg = f"no {x}"
    raise ValueError(msg)


@inout
def exits(x: int = 0) -> int:
    """Raise SystemExit from the tool's own code."""
    raise SystemExit(x)


@inout
def waits(x: int = 0) -> int:
    """Block until the test lets it go."""
    RELEASE.wait(30)
    return x


@pytest.fixture
def release() -> Any:
    RELEASE.clear()
    yield
    RELEASE.set()


def record_of(cid: str, tool: str) -> TraceRecord:
    return TraceRecord(cid, tool, "inout", None, 0, 0.0, 0.0, 0.0, "running")


class Site:
    """One `DirectCalls` on its own pool, with what it delivered."""

    def __init__(self, call_timeout: float | None = None) -> None:
        self.threads = InoutThreads(2)
        self.runner = CallRunner({}, self.threads, None, call_timeout, {})
        self.delivered: asyncio.Queue[Future[Any]] = asyncio.Queue()
        self.direct = DirectCalls(self.runner, deliver=self.delivered.put_nowait)
        self.started: list[TraceRecord] = []

    def submit(self, cid: str, tool: Any, args: dict[str, Any]) -> TraceRecord:
        record = record_of(cid, tool.name)
        self.direct.submit(cid, record, tool, args, on_start=self.started.append)
        return record

    async def next(self) -> Future[Any]:
        return await asyncio.wait_for(self.delivered.get(), 20)


async def test_a_finished_call_lands_once_with_its_value() -> None:
    site = Site()
    record = site.submit("s1", echo, {"x": 3})
    assert site.started == [record]
    assert record.started_at > 0
    assert len(site.direct) == 1
    future = await site.next()
    assert site.direct.land(future) == Landed("s1", record, 3, None)
    assert record.ended_at >= record.started_at
    assert len(site.direct) == 0
    assert site.direct.land(future) is None  # it already landed


async def test_a_tools_error_lands_as_that_calls_error() -> None:
    site = Site()
    record = site.submit("s1", refuses, {"x": 2})
    landed = site.direct.land(await site.next())
    assert landed is not None
    assert (landed.cid, landed.record, landed.value) == ("s1", record, None)
    assert isinstance(landed.error, ValueError)
    assert str(landed.error) == "no 2"


async def test_a_base_exception_of_a_tool_lands_as_a_call_failure() -> None:
    site = Site()
    site.submit("s1", exits, {"x": 4})
    landed = site.direct.land(await site.next())
    assert landed is not None
    assert isinstance(landed.error, CallFailedError)
    assert isinstance(landed.error.__cause__, SystemExit)


async def test_a_call_past_its_timeout_is_delivered_by_its_timer_and_gives_its_thread_up(
    release: None,
) -> None:
    site = Site(call_timeout=0.05)
    record = site.submit("s1", waits, {"x": 1})
    future = await site.next()  # the timer's delivery: the thread still runs
    assert not future.done()
    landed = site.direct.land(future)
    assert landed is not None
    assert (landed.cid, landed.record, landed.value) == ("s1", record, None)
    assert isinstance(landed.error, CallTimeoutError)
    assert "s1 (waits) ran past call_timeout=0.05s" in str(landed.error)
    assert record.ended_at >= record.started_at > 0
    assert site.threads.stuck == 1
    assert len(site.direct) == 0
    RELEASE.set()  # the thread ends; its late delivery lands nothing
    assert site.direct.land(await site.next()) is None


@contextlib.contextmanager
def timers_of(loop: asyncio.AbstractEventLoop) -> Iterator[list[asyncio.TimerHandle]]:
    """The timers `loop.call_later` makes while in the block."""
    made: list[asyncio.TimerHandle] = []
    real = loop.call_later

    def recording(*args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        handle = real(*args, **kwargs)
        made.append(handle)
        return handle

    loop.call_later = recording  # type: ignore[method-assign]
    try:
        yield made
    finally:
        del loop.call_later


async def test_a_call_that_lands_in_time_stops_its_timer() -> None:
    site = Site(call_timeout=30.0)
    with timers_of(asyncio.get_running_loop()) as timers:
        site.submit("s1", echo, {"x": 1})
    (timer,) = timers
    future = await site.next()
    assert future.done()
    assert not timer.cancelled()
    assert site.direct.land(future) is not None
    assert timer.cancelled()


async def test_a_timer_does_not_deliver_a_call_that_already_ended(release: None) -> None:
    site = Site(call_timeout=30.0)
    site.submit("s1", echo, {"x": 1})
    future = await site.next()
    site.direct._expire(future)  # a timer that fires after the thread ended
    assert site.delivered.empty()
    site = Site(call_timeout=0.05)
    site.submit("s2", waits, {"x": 2})
    late = await site.next()  # its timer's delivery
    site.direct.land(late)  # landed (timed out): its timer has nothing left to do
    site.direct._expire(late)
    assert site.delivered.empty()


async def test_a_cancelled_run_gives_up_every_call_in_flight(release: None) -> None:
    site = Site(call_timeout=30.0)
    with timers_of(asyncio.get_running_loop()) as timers:
        site.submit("s1", waits, {"x": 1})
        site.submit("s2", waits, {"x": 2})
        site.submit("s3", waits, {"x": 3})  # queued behind the two threads
    futures = list(site.direct.running)
    for _ in range(2000):  # until both threads run their calls
        if futures[0].running() and futures[1].running():
            break
        await asyncio.sleep(0.005)
    site.direct.abandon_all()
    assert len(site.direct) == 0
    assert site.threads.stuck == 2  # the two running threads, not waited for
    assert futures[2].cancelled()  # the queued one never runs
    assert len(timers) == 3
    assert all(timer.cancelled() for timer in timers)
    await asyncio.sleep(0)
    while not site.delivered.empty():  # only the cancelled queued call comes back
        future = site.delivered.get_nowait()
        assert future is futures[2]
        assert site.direct.land(future) is None
    RELEASE.set()


async def test_an_emptied_inbox_wakes_the_loop_again() -> None:
    site = Site()
    for i in range(3):
        site.submit(f"s{i}", echo, {"x": i})
        landed = site.direct.land(await site.next())
        assert landed is not None
        assert landed.value == i
