"""Guarantees of the CPU-bounded worker pool (`processes.pool`), from the calls' own records.

No wall-clock assertions: concurrency and order come from `CallOutcome` timestamps taken in
the workers, pids and processors. Polling helpers only bound how long a test may wait. The
worker program's own guarantees are in `test_worker_main.py`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import types
from concurrent.futures import CancelledError, Future
from concurrent.futures import wait as wait_futures
from typing import TYPE_CHECKING, Any

import psutil
import pytest

from langchain_llmorch.errors import (
    BrokenPoolError,
    CallTimeoutError,
    UnpicklableCallError,
    WorkerCrashedError,
)
from langchain_llmorch.processes.pool import ProcessPool, get_pool
from langchain_llmorch.processes.records import CallOutcome, RemoteCallError, RemoteTraceback
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._helpers import (
    PATIENCE,
    P,
    gone,
    read_pid,
    repaired,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def test_at_most_p_calls_overlap_each_on_its_own_processor(pool: ProcessPool) -> None:
    """Six sleeping calls on two workers: never more than two overlap, on two processors."""
    outcomes = [f.result() for f in [pool.submit(funcs.sleep_for, (0.15,)) for _ in range(6)]]

    edges = sorted(
        [(o.started_at, +1) for o in outcomes] + [(o.ended_at, -1) for o in outcomes]
    )  # at equal times the end sorts first
    overlap, most = 0, 0
    for _, step in edges:
        overlap += step
        most = max(most, overlap)
    assert most == P
    assert len({o.pid for o in outcomes}) == P
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0, 1]
    assert len({o.processor for o in outcomes}) == min(P, len(cores))
    if sys.platform == "linux":  # pinned for real
        for outcome in outcomes:
            assert psutil.Process(outcome.pid).cpu_affinity() == [outcome.processor]


def test_waiting_calls_start_by_priority_then_fifo(pool: ProcessPool, tmp_path: Path) -> None:
    """With every worker busy, queued calls start lowest priority first, ties in submit order."""
    gate_a, gate_b = tmp_path / "a", tmp_path / "b"
    blockers = [pool.submit(funcs.wait_for_file, (str(gate),)) for gate in (gate_a, gate_b)]
    wait_until(lambda: pool.running() == P, "both workers are busy")
    assert pool.idle_slots() == 0

    jobs = [(3.0, "c"), (1.0, "a1"), (2.0, "b"), (1.0, "a2"), (0.5, "z")]
    futures = {tag: pool.submit(funcs.return_value, (tag,), priority=p) for p, tag in jobs}
    gate_a.touch()  # one worker frees up and drains the queue alone, one call at a time
    outcomes = {tag: f.result(timeout=PATIENCE) for tag, f in futures.items()}
    gate_b.touch()
    for blocker in blockers:
        blocker.result(timeout=PATIENCE)

    assert sorted(outcomes, key=lambda tag: outcomes[tag].started_at) == ["z", "a1", "a2", "b", "c"]
    assert len({o.pid for o in outcomes.values()}) == 1


def test_tool_exception_is_reraised_with_the_remote_traceback(pool: ProcessPool) -> None:
    """A tool's exception keeps its type and message; the worker's traceback is its cause."""
    future = pool.submit(funcs.raise_value_error, ("boom",))
    with pytest.raises(ValueError, match="boom") as caught:
        future.result()

    cause = caught.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert "raise_value_error" in str(cause)
    assert cause.pid in pool.worker_pids()
    assert cause.started_at is not None
    assert cause.ended_at is not None
    assert cause.started_at <= cause.ended_at
    assert pool.submit(funcs.return_value, (7,)).result().value == 7


@pytest.mark.parametrize(
    "fn",
    [funcs.raise_two_argument_error, funcs.call_sys_exit],
    ids=["not-unpicklable", "sys-exit"],
)
def test_exception_that_cannot_come_back_becomes_remote_call_error(
    pool: ProcessPool, fn: Callable[[], None]
) -> None:
    """Exceptions that do not unpickle, and SystemExit, arrive as RemoteCallError."""
    pids = set(pool.worker_pids())
    with pytest.raises(RemoteCallError) as caught:
        pool.submit(fn).result()
    assert isinstance(caught.value.__cause__, RemoteTraceback)
    assert set(pool.worker_pids()) == pids  # the worker survived


def test_unsendable_result_fails_only_that_call(pool: ProcessPool) -> None:
    """A result that does not pickle fails the call with UnpicklableCallError."""
    with pytest.raises(UnpicklableCallError, match="cannot be sent back"):
        pool.submit(funcs.return_lock).result()
    assert pool.submit(funcs.return_value, ("ok",)).result().value == "ok"


@pytest.mark.parametrize("code", [1, -signal.SIGSEGV], ids=["os-exit", "sigsegv"])
def test_crashed_worker_is_replaced_and_the_pool_goes_on(pool: ProcessPool, code: int) -> None:
    """A worker that dies fails only its call with WorkerCrashedError, then is replaced."""
    before = set(pool.worker_pids())
    fn: Callable[..., Any] = funcs.exit_now if code > 0 else funcs.kill_self
    with pytest.raises(WorkerCrashedError, match=r"exit code 1|SIGSEGV"):
        pool.submit(fn, (abs(code),)).result()

    wait_until(lambda: repaired(pool, before), "the crashed worker was replaced")
    after = set(pool.worker_pids())
    (dead,) = before - after
    assert gone(dead)
    outcomes = [pool.submit(funcs.return_value, (i,)).result() for i in range(4)]
    assert [o.value for o in outcomes] == [0, 1, 2, 3]
    assert {o.pid for o in outcomes} <= after


def test_call_past_its_timeout_is_killed_with_its_worker(pool: ProcessPool, tmp_path: Path) -> None:
    """A hung call raises CallTimeoutError; its worker is killed and replaced."""
    before = set(pool.worker_pids())
    pid_file = tmp_path / "pid"
    future = pool.submit(funcs.write_pid_and_hang, (str(pid_file),), timeout=0.5)
    with pytest.raises(CallTimeoutError):
        future.result(timeout=PATIENCE)

    hung = read_pid(pid_file)
    wait_until(lambda: gone(hung), "the hung worker is dead")
    wait_until(lambda: repaired(pool, before), "the hung worker was replaced")
    assert hung not in pool.worker_pids()
    assert pool.submit(funcs.return_value, (1,), timeout=PATIENCE).result().value == 1


def test_unpicklable_call_fails_in_submit_without_taking_a_slot(pool: ProcessPool) -> None:
    """An unpicklable argument or function raises UnpicklableCallError from submit itself."""
    lock = threading.Lock()
    with pytest.raises(UnpicklableCallError):
        pool.submit(funcs.return_value, (lock,))
    with pytest.raises(UnpicklableCallError):
        pool.submit(lambda: lock)
    assert pool.running() == 0
    assert pool.idle_slots() == P
    assert pool.submit(funcs.return_value, (2,)).result().value == 2


def test_functions_the_worker_cannot_import_run_by_value(pool: ProcessPool) -> None:
    """Script/notebook `__main__` functions, run-time modules, lambdas and closures all run."""
    source = "def helper(x):\n    return x + 1\n\ndef triple(x):\n    return helper(x) * 3\n"
    script: dict[str, Any] = {"__name__": "__main__"}  # a script without a main guard, a cell
    exec(compile(source, "<cell>", "exec"), script)  # noqa: S102
    made = types.ModuleType("llmorch_made_at_run_time")  # not in sys.modules, no file
    exec(compile(source, "<made>", "exec"), made.__dict__)  # noqa: S102
    factor = 5

    def scaled(x: int) -> int:
        return x * factor

    assert pool.submit(script["triple"], (1,)).result().value == 6
    assert pool.submit(made.triple, (2,)).result().value == 9
    assert pool.submit(lambda x: x**2, (4,)).result().value == 16
    assert pool.submit(scaled, (2,)).result().value == 10
    factor = 7  # a closure is pickled as it is now, not as it was first sent
    assert pool.submit(scaled, (2,)).result().value == 14


def test_function_the_worker_cannot_load_fails_with_a_hint(
    pool: ProcessPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function pickled by reference to a module the worker lacks: UnpicklableCallError."""
    ghost = types.ModuleType("llmorch_ghost_module")  # in sys.modules here, absent there
    exec(compile("def f():\n    return 1\n", "<ghost>", "exec"), ghost.__dict__)  # noqa: S102
    monkeypatch.setitem(sys.modules, ghost.__name__, ghost)
    with pytest.raises(UnpicklableCallError, match="register_pickle_by_value") as caught:
        pool.submit(ghost.f).result()
    assert "ModuleNotFoundError" in str(caught.value.__cause__)
    assert pool.submit(funcs.return_value, (5,)).result().value == 5


def test_abort_cancels_a_queued_call_and_kills_a_running_one(
    pool: ProcessPool, tmp_path: Path
) -> None:
    """abort(): a queued call never runs; a running call's worker is killed and replaced."""
    before = set(pool.worker_pids())
    pid_files = [tmp_path / "one", tmp_path / "two"]
    running = [pool.submit(funcs.write_pid_and_hang, (str(path),)) for path in pid_files]
    hung = [read_pid(path) for path in pid_files]
    queued = pool.submit(funcs.return_value, (1,))
    assert pool.idle_slots() == 0

    pool.abort(queued)
    assert queued.cancelled()
    assert wait_futures([queued], timeout=PATIENCE).done == {queued}
    for future in running:
        pool.abort(future)
        with pytest.raises(CancelledError):
            future.result(timeout=PATIENCE)

    wait_until(lambda: all(gone(pid) for pid in hung), "the aborted workers are dead")
    wait_until(lambda: repaired(pool, before), "the aborted workers were replaced")
    assert not set(hung) & set(pool.worker_pids())
    assert pool.running() == 0
    assert pool.idle_slots() == P


async def test_cancelling_an_awaiting_task_kills_its_worker(
    pool: ProcessPool, tmp_path: Path
) -> None:
    """Cancelling an asyncio task awaiting `asyncio.wrap_future(...)` kills the call's worker."""
    before = set(pool.worker_pids())
    pid_file = tmp_path / "pid"
    future = pool.submit(funcs.write_pid_and_hang, (str(pid_file),))
    task = asyncio.ensure_future(asyncio.wrap_future(future))
    hung = await asyncio.to_thread(read_pid, pid_file)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # asyncio passes the cancellation on to the pool's future from a loop callback
    await asyncio.to_thread(wait_until, future.cancelled, "the pool's future is cancelled")
    wait_until(lambda: gone(hung), "the cancelled worker is dead")
    wait_until(lambda: repaired(pool, before), "the cancelled worker was replaced")


def test_shutdown_fails_pending_calls_and_leaves_no_worker(tmp_path: Path) -> None:
    """shutdown(): queued and running calls get BrokenPoolError; every worker is gone."""
    own = ProcessPool(P)
    own.start()
    pids = own.worker_pids()
    assert len(pids) == P
    running = [own.submit(funcs.write_pid_and_hang, (str(tmp_path / f"{i}"),)) for i in range(P)]
    for i in range(P):
        read_pid(tmp_path / f"{i}")
    queued = own.submit(funcs.return_value, (1,))

    own.shutdown(wait=True)
    for future in [*running, queued]:
        with pytest.raises(BrokenPoolError):
            future.result(timeout=PATIENCE)
    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert own.worker_pids() == []
    with pytest.raises(BrokenPoolError):
        own.submit(funcs.return_value, (1,))


def test_get_pool_shares_one_pool_per_size(pool: ProcessPool) -> None:
    """get_pool() returns the same started pool per size and replaces one that was shut down."""
    first = get_pool(1)
    try:
        assert get_pool(1) is first
        assert first.processors == 1
        assert len(first.worker_pids()) == 1
        assert first is not pool
    finally:
        first.shutdown()
    second = get_pool(1)
    try:
        assert second is not first
        outcome: CallOutcome = second.submit(funcs.return_value, ("x",)).result()
        assert outcome.value == "x"
    finally:
        second.shutdown()


def test_futures_are_plain_concurrent_futures(pool: ProcessPool) -> None:
    """submit() returns a concurrent.futures.Future of a CallOutcome."""
    future = pool.submit(funcs.return_value, (), {"value": 3})
    assert isinstance(future, Future)
    outcome = future.result()
    assert outcome.value == 3
    assert outcome.started_at <= outcome.ended_at
