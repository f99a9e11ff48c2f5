"""Guarantees of the parent's handles on worker processes (`processes.handles`).

A `WorkerHandle` is driven straight from a `CallQueue` here, without a pool.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.call_queue import CallQueue
from langchain_llmorch.processes.handles import WorkerHandle
from langchain_llmorch.processes.records import Job
from langchain_llmorch.processes.watchdog import Watchdog
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._helpers import PATIENCE, gone, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable


def new_handle(calls: CallQueue | None = None, watchdog: Watchdog | None = None) -> WorkerHandle:
    return WorkerHandle(
        0, None, calls=calls or CallQueue(None, None), watchdog=watchdog or Watchdog()
    )


def job_for(calls: CallQueue, fn: Callable[..., object], *args: object) -> Job:
    return Job.create(
        fn, args, None, call_id=calls.next_id(), priority=0.0, timeout=None, on_start=None
    )


def test_a_handle_serves_its_queue_and_reaps_its_worker_when_stopped() -> None:
    """Calls put on the queue run in the handle's process; a stop ends it and the process."""
    calls = CallQueue(None, None)
    worker = new_handle(calls)
    worker.start()
    assert worker.ready.wait(PATIENCE)
    assert worker.start_error is None
    pid = worker.pid
    assert pid is not None

    jobs = [job_for(calls, funcs.return_value, i) for i in range(3)]
    for job in jobs:
        calls.put(job)
    outcomes = [job.future.result(timeout=PATIENCE) for job in jobs]
    assert [o.value for o in outcomes] == [0, 1, 2]
    assert {o.pid for o in outcomes} == {pid}

    assert calls.close([worker]) == []
    calls.stop_handlers(1)
    worker.join()
    assert worker.pid is None
    assert not worker.has_process
    wait_until(lambda: gone(pid), "the stopped worker is reaped")


def test_a_worker_that_cannot_start_reports_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a known interpreter the first start fails with BrokenPoolError, not a hang."""
    monkeypatch.setattr(sys, "executable", "")
    worker = new_handle()
    worker.start()
    assert worker.ready.wait(PATIENCE)
    assert isinstance(worker.start_error, BrokenPoolError)
    worker.join()
    assert not worker.has_process


def test_a_kill_is_for_the_running_call_only_and_the_first_reason_wins() -> None:
    """time_out/kill_for of a call the worker no longer runs do nothing; later reasons lose."""
    calls = CallQueue(None, None)
    worker = new_handle(calls)
    current, finished = job_for(calls, funcs.return_value, 1), job_for(calls, funcs.sleep_for, 0)
    worker.job = current

    worker.time_out(finished)
    assert worker.kill_reason is None
    worker.time_out(current)
    assert worker.kill_reason == "timeout"
    with calls.lock:
        worker.kill_for(current, "cancelled")
    assert worker.kill_reason == "timeout"


def test_the_watchdog_times_out_armed_calls_and_spares_disarmed_ones() -> None:
    """A deadline that passes calls time_out; a disarmed one never does."""
    watchdog = Watchdog()
    calls = CallQueue(None, None)
    spared, expired = new_handle(calls, watchdog), new_handle(calls, watchdog)
    spared.job = job_for(calls, funcs.return_value, 1)
    expired.job = job_for(calls, funcs.return_value, 2)
    try:
        watchdog.arm(spared, spared.job, 0.3)  # due first, but disarmed at once
        watchdog.disarm(spared)
        watchdog.arm(expired, expired.job, 0.6)
        wait_until(lambda: expired.kill_reason == "timeout", "the armed call timed out")
        assert spared.kill_reason is None
    finally:
        watchdog.stop()
