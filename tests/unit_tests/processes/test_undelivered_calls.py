"""A call that never reached its worker goes to a fresh one (`processes.delivery`).

A worker can die between calls a moment before its handler thread can tell (for about a
millisecond after a process dies, `waitpid` does not report it). The handler then sends the
next call to the dead worker: the send fails, the call never started, and a fresh worker
runs it. A call the worker got and then died running still fails with WorkerCrashedError.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from langchain_llmorch.errors import BrokenPoolError, WorkerCrashedError
from langchain_llmorch.processes import delivery
from langchain_llmorch.processes.call_queue import CallQueue
from langchain_llmorch.processes.handles import WorkerHandle
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._helpers import PATIENCE, wait_until
from tests.unit_tests.processes.test_handles_mutants import job_for, started, stopped, waitable


def _dead_but_not_yet_seen(monkeypatch: pytest.MonkeyPatch, worker: WorkerHandle) -> int:
    """Kill the idle worker; its handler sees it alive, as in the moment before waitpid does."""
    old = worker.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: waitable(old), "the worker died")  # its end of the pipe is closed
    monkeypatch.setattr(WorkerHandle, "_alive", lambda _: True)
    return old


def test_a_call_sent_to_a_worker_that_had_died_runs_on_a_fresh_worker(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        old = _dead_but_not_yet_seen(monkeypatch, worker)
        with caplog.at_level(logging.INFO, logger="langchain_llmorch.processes.pool"):
            job = job_for(calls, funcs.return_value, 5)
            calls.put(job)
            outcome = job.future.result(timeout=PATIENCE)
        assert outcome.value == 5
        assert outcome.pid not in {old, 0}
        said = [r.getMessage() for r in caplog.records]
        assert f"llmorch worker {old} died before it got return_value; starting a new one" in said
        # The fresh worker serves the next calls too.
        job = job_for(calls, funcs.return_value, 6)
        calls.put(job)
        assert job.future.result(timeout=PATIENCE).pid == outcome.pid
    finally:
        stopped(calls, worker)


def test_a_call_that_reached_its_worker_still_fails_when_the_worker_dies() -> None:
    # The worker got the call and died running it: never run again elsewhere.
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        job = job_for(calls, funcs.exit_now, 3)
        calls.put(job)
        with pytest.raises(WorkerCrashedError, match="died"):
            job.future.result(timeout=PATIENCE)
    finally:
        stopped(calls, worker)


def test_a_call_that_reached_no_worker_and_no_fresh_one_did_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        _dead_but_not_yet_seen(monkeypatch, worker)
        monkeypatch.setattr(sys, "executable", "")  # no new worker can start
        job = job_for(calls, funcs.return_value, 5)
        calls.put(job)
        with pytest.raises(BrokenPoolError) as err:
            job.future.result(timeout=PATIENCE)
        assert str(err.value) == (
            "return_value did not run: its worker had died and no new one could start"
        )
    finally:
        stopped(calls, worker)


def test_a_call_is_sent_to_a_fresh_worker_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every send of a call fails: the call goes to one fresh worker, then fails as a crash.
    send = delivery.send_frame

    def refused(fd: int, parts: list[bytes]) -> None:
        if len(parts) == len(delivery.Request(0, b"", b"", b"").to_parts()):
            raise BrokenPipeError(32, "Broken pipe")
        send(fd, parts)  # the hello of a starting worker

    calls = CallQueue(None, None)
    worker = started(calls)
    spawned: list[int] = []
    spawn = WorkerHandle._spawn

    def counted(self: WorkerHandle) -> None:
        spawn(self)
        spawned.append(self.pid or 0)

    try:
        monkeypatch.setattr(delivery, "send_frame", refused)
        monkeypatch.setattr(WorkerHandle, "_spawn", counted)
        job = job_for(calls, funcs.return_value, 5)
        calls.put(job)
        with pytest.raises(WorkerCrashedError):
            job.future.result(timeout=PATIENCE)
        wait_until(lambda: len(spawned) == 2, "the worker was replaced after the crash")
        assert len(spawned) == 2  # one fresh worker for the call, one after its crash
    finally:
        stopped(calls, worker)


def test_a_call_whose_worker_died_before_starting_it_runs_on_a_fresh_worker(
    tmp_path: Path,
) -> None:
    # The worker got the call and died loading its arguments, before it started it.
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        old = worker.pid
        marker = str(tmp_path / "loaded")
        job = job_for(calls, funcs.return_value, funcs.DiesOnFirstLoad(marker))
        calls.put(job)
        outcome = job.future.result(timeout=PATIENCE)
        assert outcome.value == marker  # loaded and run by the fresh worker
        assert outcome.pid not in {old, 0}
    finally:
        stopped(calls, worker)


def test_a_call_that_started_and_died_is_never_run_again(tmp_path: Path) -> None:
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        notes = tmp_path / "notes"
        job = job_for(calls, funcs.note_and_exit, str(notes))
        calls.put(job)
        with pytest.raises(WorkerCrashedError, match=r"died \(exit code 9\) while running"):
            job.future.result(timeout=PATIENCE)
        after = job_for(calls, funcs.return_value, 1)  # the handler replaced the worker
        calls.put(after)
        assert after.future.result(timeout=PATIENCE).value == 1
        assert notes.read_text() == "ran\n"  # once
    finally:
        stopped(calls, worker)


def test_a_call_handed_over_right_after_its_idle_worker_was_killed_runs() -> None:
    # No wait at all after the kill: the handler may see the worker alive or dead, and the
    # dying worker may still hold its end of the pipe; in every case the call never
    # started on it, so it runs (on a fresh worker).
    calls = CallQueue(None, None)
    worker = started(calls)
    try:
        old = worker.pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        job = job_for(calls, funcs.return_value, 5)
        calls.put(job)
        outcome = job.future.result(timeout=PATIENCE)
        assert outcome.value == 5
        assert outcome.pid not in {old, 0}
    finally:
        stopped(calls, worker)
