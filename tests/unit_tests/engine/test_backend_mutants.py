"""Where calls run (`engine/backend.py`): the inout threads, the shared pools, sync runs.

Written for the mutants of `engine/backend.py` that the run-level tests let live. Each
test drives an `InoutThreads` pool directly and states one rule: a call's value or error
lands in its future; never more than `size` calls run at once, and idle threads are
reused before new ones start; a stuck call that is given up stops counting against the
pool (up to `max_stuck`, by default `size`), once, and giving up a finished call changes
nothing; a shut pool takes no call; `thread_pool` keeps one pool per size; `run_sync`
runs a coroutine from sync code, also under a running loop. Ordering is read from what
the calls record, never from the clock.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from langchain_llmorch.engine.backend import InoutThreads, run_sync, thread_pool

WAIT = 10.0  # seconds a test waits for something that must happen (never reached when green)


def add(a: int, b: int = 0) -> int:
    return a + b


def fail(text: str) -> None:
    raise KeyError(text)


def wait_for(event: threading.Event) -> str:
    if not event.wait(WAIT):
        msg = "never released"
        raise TimeoutError(msg)
    return threading.current_thread().name


def meet(barrier: threading.Barrier) -> bool:
    barrier.wait()  # broken (BrokenBarrierError) when the others never come
    return True


def whoami() -> tuple[str, bool]:
    me = threading.current_thread()
    return me.name, me.daemon


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # a failed test leaves no thread blocked


def idle(pool: InoutThreads, count: int) -> None:
    """Wait (bounded) until `count` threads of `pool` wait for a job."""
    deadline = time.monotonic() + 2.0
    while pool._idle < count and time.monotonic() < deadline:
        time.sleep(0.005)


def test_a_call_lands_with_its_value_or_its_error() -> None:
    pool = InoutThreads(2)
    assert pool.submit(add, 1, b=2).result(WAIT) == 3
    assert pool.submit(add, 4).result(WAIT) == 4
    with pytest.raises(KeyError, match="boom"):
        pool.submit(fail, "boom").result(WAIT)
    assert pool.submit(add, 5, b=6).result(WAIT) == 11  # the thread goes on after an error


def test_calls_run_on_named_daemon_threads() -> None:
    assert InoutThreads(1).submit(whoami).result(WAIT) == ("llmorch-inout", True)


def test_a_pool_of_one_runs_calls_one_after_another() -> None:
    pool = InoutThreads(1)
    for n in range(4):
        assert pool.submit(add, n, b=1).result(WAIT) == n + 1


def test_a_call_cancelled_while_queued_is_skipped(release: threading.Event) -> None:
    pool = InoutThreads(1)
    first = pool.submit(wait_for, release)
    queued = pool.submit(add, 1)
    assert queued.cancel()
    release.set()
    assert first.result(WAIT) == "llmorch-inout"
    assert pool.submit(add, 2).result(WAIT) == 2  # the thread went on to the next call


def test_never_more_than_size_calls_run_at_once(release: threading.Event) -> None:
    pool = InoutThreads(2)
    order: list[str] = []
    lock = threading.Lock()

    def step(name: str, fn: Callable[[], Any]) -> Any:
        with lock:
            order.append(f"start {name}")
        try:
            return fn()
        finally:
            with lock:
                order.append(f"end {name}")

    first = pool.submit(step, "a", lambda: wait_for(release))
    second = pool.submit(step, "b", lambda: wait_for(release))
    third = pool.submit(step, "c", lambda: None)
    time.sleep(0.1)  # room for a third thread to start, were the bound broken
    release.set()
    for future in (first, second, third):
        future.result(WAIT)
    assert order.index("start c") > min(order.index("end a"), order.index("end b"))


def test_idle_threads_take_new_calls_and_missing_ones_start() -> None:
    pool = InoutThreads(2)
    assert pool.submit(add, 1).result(WAIT) == 1  # one thread started, now idle
    idle(pool, 1)
    pair = threading.Barrier(2, timeout=WAIT)
    futures = [pool.submit(meet, pair) for _ in range(2)]  # the idle one and a new one
    assert [f.result(WAIT) for f in futures] == [True, True]
    idle(pool, 2)
    pair = threading.Barrier(2, timeout=WAIT)
    futures = [pool.submit(meet, pair) for _ in range(2)]  # both idle threads
    assert [f.result(WAIT) for f in futures] == [True, True]


def test_a_given_up_call_frees_its_slot_once(release: threading.Event) -> None:
    pool = InoutThreads(1)
    stuck = pool.submit(wait_for, release)
    while not stuck.running():
        time.sleep(0.005)
    pool.abandon(stuck)
    assert pool.stuck == 1
    assert pool.submit(add, 2).result(WAIT) == 2  # another thread took the slot
    pool.abandon(stuck)  # given up again: still one stuck thread, one slot freed
    assert pool.stuck == 1
    pair = threading.Barrier(2, timeout=0.5)
    futures = [pool.submit(meet, pair) for _ in range(2)]
    with pytest.raises(threading.BrokenBarrierError):  # one slot: the two never meet
        futures[0].result(WAIT)
    release.set()
    assert stuck.result(WAIT) == "llmorch-inout"
    deadline = time.monotonic() + WAIT
    while pool.stuck and time.monotonic() < deadline:  # its thread ends after the call
        time.sleep(0.005)
    assert pool.stuck == 0
    pool.shutdown()


def test_stuck_threads_are_bounded_by_size_by_default(release: threading.Event) -> None:
    pool = InoutThreads(1)
    assert pool.max_stuck == 1
    assert InoutThreads(3).max_stuck == 3
    assert InoutThreads(3, max_stuck=0).max_stuck == 0
    first = pool.submit(wait_for, release)
    while not first.running():
        time.sleep(0.005)
    pool.abandon(first)
    second = pool.submit(wait_for, release)
    while not second.running():
        time.sleep(0.005)
    pool.abandon(second)  # past max_stuck: it keeps its slot
    assert pool.stuck == 1
    queued = pool.submit(add, 3)
    pool.abandon(queued)  # a queued call is cancelled
    assert queued.cancelled()
    release.set()
    assert [first.result(WAIT), second.result(WAIT)] == ["llmorch-inout"] * 2


def test_giving_up_a_finished_call_changes_nothing() -> None:
    pool = InoutThreads(1)
    done = pool.submit(add, 1)
    assert done.result(WAIT) == 1
    pool.abandon(done)
    assert pool.stuck == 0
    pair = threading.Barrier(2, timeout=0.5)
    futures = [pool.submit(meet, pair) for _ in range(2)]  # still one slot
    with pytest.raises(threading.BrokenBarrierError):
        futures[0].result(WAIT)


def test_a_shut_pool_takes_no_call_and_cancels_queued_ones(release: threading.Event) -> None:
    pool = InoutThreads(1)
    running = pool.submit(wait_for, release)
    while not running.running():
        time.sleep(0.005)
    queued = pool.submit(add, 1)
    pool.shutdown(cancel_futures=True)
    assert queued.cancelled()
    with pytest.raises(RuntimeError, match=r"^the inout thread pool is shut down$"):
        pool.submit(add, 1)
    release.set()
    assert running.result(WAIT) == "llmorch-inout"


def test_a_shut_pool_still_runs_what_was_queued(release: threading.Event) -> None:
    pool = InoutThreads(1)
    running = pool.submit(wait_for, release)
    while not running.running():
        time.sleep(0.005)
    queued = pool.submit(add, 4)
    pool.shutdown()  # not waiting, not cancelling
    release.set()
    assert queued.result(WAIT) == 4
    assert running.result(WAIT) == "llmorch-inout"


def test_thread_pool_keeps_one_pool_per_size() -> None:
    pool = thread_pool(3)
    assert isinstance(pool, InoutThreads)
    assert pool.size == 3
    assert thread_pool(3) is pool
    assert thread_pool(4) is not pool
    assert thread_pool(1).size == 1  # the smallest pool
    for bad in (thread_pool, InoutThreads):
        with pytest.raises(ValueError, match=r"^max_threads must be at least 1, not 0$"):
            bad(0)


async def _answer(value: int) -> tuple[int, str]:
    await asyncio.sleep(0)
    return value, threading.current_thread().name


def test_run_sync_without_a_loop_runs_here() -> None:
    assert run_sync(_answer(7)) == (7, threading.current_thread().name)


async def test_run_sync_under_a_running_loop_runs_on_a_helper_thread() -> None:
    value, thread = run_sync(_answer(8))
    assert value == 8
    assert thread.startswith("llmorch-run")


def test_run_sync_passes_errors_through() -> None:
    async def broken() -> None:
        raise LookupError("x")

    with pytest.raises(LookupError):
        run_sync(broken())
