"""The worker handles' guarantees that the mutation run of `processes.handles` found untested.

A `WorkerHandle` is driven straight from a `CallQueue`, as in `test_handles.py`.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import pytest

from langchain_llmorch.errors import BrokenPoolError, WorkerCrashedError
from langchain_llmorch.processes import handles
from langchain_llmorch.processes.call_queue import CallQueue
from langchain_llmorch.processes.handles import WorkerHandle
from langchain_llmorch.processes.pool import ProcessPool
from langchain_llmorch.processes.records import Job
from langchain_llmorch.processes.watchdog import Watchdog
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._helpers import PATIENCE, gone, read_pid, wait_until


def start_child_and_hang(path: str) -> None:
    """A tool that starts a process of its own, says its pid, then never returns."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    Path(path + ".tmp").write_text(str(child.pid))
    Path(path + ".tmp").replace(path)
    time.sleep(3600)


def started(calls: CallQueue) -> WorkerHandle:
    worker = WorkerHandle(0, None, calls=calls, watchdog=Watchdog())
    worker.start()
    assert worker.ready.wait(PATIENCE)
    return worker


def stopped(calls: CallQueue, worker: WorkerHandle) -> None:
    calls.close([worker])
    calls.stop_handlers(1)
    worker.join()


def job_for(calls: CallQueue, fn: object, *args: object) -> Job:
    return Job.create(
        fn,  # type: ignore[arg-type]
        args,
        None,
        call_id=calls.next_id(),
        priority=0.0,
        timeout=None,
        on_start=None,
    )


def test_a_worker_without_an_interpreter_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown sys.executable is named in the start error."""
    monkeypatch.setattr(sys, "executable", "")
    worker = WorkerHandle(0, None, calls=CallQueue(None, None), watchdog=Watchdog())
    worker.start()
    assert worker.ready.wait(PATIENCE)
    assert isinstance(worker.start_error, BrokenPoolError)
    assert str(worker.start_error) == "sys.executable is unknown: cannot start worker processes"


def test_a_worker_that_exits_during_start_up_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker program that ends before its hello fails the start with BrokenPoolError."""
    monkeypatch.setattr(handles, "_worker_command", lambda: [sys.executable, "-c", "pass"])
    worker = WorkerHandle(3, None, calls=CallQueue(None, None), watchdog=Watchdog())
    worker.start()
    assert worker.ready.wait(PATIENCE)
    assert isinstance(worker.start_error, BrokenPoolError)
    assert "worker 3 exited during start-up" in str(worker.start_error)
    worker.join()
    assert not worker.has_process


def waitable(pid: int) -> bool:
    """Whether the child `pid` has exited as far as `waitpid` can tell (it is not reaped)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already
        return True


def test_a_worker_that_died_while_idle_is_replaced_before_the_next_call() -> None:
    """A worker killed between calls does not fail the next call: a new one runs it."""
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        old = worker.pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        # Waitable, not only a zombie in /proc: for a moment after /proc says zombie,
        # waitpid still finds nothing, and the handle would send the call to the dead worker.
        wait_until(lambda: waitable(old), "the idle worker died")
        job = job_for(calls, funcs.return_value, 5)
        calls.put(job)
        outcome = job.future.result(timeout=PATIENCE)
        assert outcome.value == 5
        assert outcome.pid != old
    finally:
        stopped(calls, worker)


def test_a_worker_that_cannot_be_restarted_is_logged_and_fails_later_calls(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """After a crash whose restart fails, the log says so and the next call is refused."""
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        monkeypatch.setattr(sys, "executable", "")  # every start from now on fails
        with caplog.at_level(logging.INFO, logger="langchain_llmorch.processes.pool"):
            crash = job_for(calls, funcs.exit_now, 1)
            calls.put(crash)
            with pytest.raises(WorkerCrashedError):
                crash.future.result(timeout=PATIENCE)

            def restart_failed() -> bool:
                return any(
                    r.getMessage() == "could not restart llmorch worker 0"
                    for r in list(caplog.records)
                )

            wait_until(restart_failed, "the failed restart was logged")
        after = job_for(calls, funcs.return_value, 1)
        calls.put(after)
        with pytest.raises(BrokenPoolError, match="its worker could not be restarted"):
            after.future.result(timeout=PATIENCE)
    finally:
        stopped(calls, worker)


def test_stopping_a_call_kills_the_processes_its_tool_started(
    pool: ProcessPool, tmp_path: Path
) -> None:
    """Cancelling a running call kills the worker's whole process group, not the worker alone."""
    pid_file = tmp_path / "child"
    this_module = sys.modules[__name__]  # sent by value: the worker need not import the tests
    cloudpickle.register_pickle_by_value(this_module)
    try:
        future = pool.submit(start_child_and_hang, (str(pid_file),))
    finally:
        cloudpickle.unregister_pickle_by_value(this_module)
    child = read_pid(pid_file)
    assert not gone(child)
    future.cancel()
    wait_until(lambda: gone(child), "the tool's own process was killed with its worker")


def test_a_function_the_worker_lost_is_sent_again() -> None:
    """If the worker no longer holds a function the handle thinks it holds, the call still runs.

    The handle's record of the worker's cache is made wrong by hand: in use the two caches
    agree, and the re-send is what keeps a disagreement harmless.
    """
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        job = job_for(calls, funcs.return_value, 8)
        worker._known.put(job.fn_digest, True)
        calls.put(job)
        assert job.future.result(timeout=PATIENCE).value == 8
        again = job_for(calls, funcs.return_value, 9)
        calls.put(again)
        assert again.future.result(timeout=PATIENCE).value == 9
    finally:
        stopped(calls, worker)
