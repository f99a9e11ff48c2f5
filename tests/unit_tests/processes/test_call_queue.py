"""Guarantees of a pool's call queue (`processes.call_queue`), without worker processes.

A stand-in worker records kills instead of sending signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.call_queue import CallQueue
from langchain_llmorch.processes.records import Job, JobState
from langchain_llmorch.processes.slots import Limit, SlotGroup
from tests.unit_tests import _pool_funcs as funcs

if TYPE_CHECKING:
    from langchain_llmorch.processes.handles import WorkerHandle
    from langchain_llmorch.processes.records import KillReason


class StandInWorker:
    """What the queue uses of a `WorkerHandle`; kills are only counted."""

    def __init__(self, *, has_process: bool = True) -> None:
        self.has_process = has_process
        self.job: Job | None = None
        self.kill_reason: KillReason | None = None
        self.kills = 0

    def kill(self) -> None:
        self.kills += 1

    def kill_for(self, job: Job, reason: KillReason) -> None:
        if self.job is job and self.kill_reason is None:
            self.kill_reason = reason
            self.kill()


def as_handle(worker: StandInWorker) -> WorkerHandle:
    return worker  # type: ignore[return-value]


def job_for(calls: CallQueue, value: Any, priority: float = 0.0) -> Job:
    return Job.create(
        funcs.return_value,
        (value,),
        None,
        call_id=calls.next_id(),
        priority=priority,
        timeout=None,
        on_start=None,
    )


def test_calls_leave_by_priority_then_in_submit_order() -> None:
    """get() hands out the lowest priority first; equal priorities in the order put."""
    calls = CallQueue(None, None)
    tags = {}
    for tag, priority in [("c", 3.0), ("a1", 1.0), ("b", 2.0), ("a2", 1.0), ("z", 0.5)]:
        job = job_for(calls, tag, priority)
        tags[job.call_id] = tag
        calls.put(job)
    order = []
    for _ in range(5):
        job = calls.get()
        assert job is not None
        order.append(tags[job.call_id])
    assert order == ["z", "a1", "a2", "b", "c"]
    assert calls.queued == 5


def test_a_claimed_call_is_counted_running_until_finished() -> None:
    """claim() moves a call from queued to running on its worker; finish() ends it."""
    calls = CallQueue(None, None)
    worker = StandInWorker()
    job = job_for(calls, 1)
    calls.put(job)
    assert calls.get() is job
    assert calls.claim(as_handle(worker), job) is True
    assert (calls.queued, calls.running, job.state) == (0, 1, JobState.RUNNING)
    assert worker.job is job
    assert job.worker is as_handle(worker)
    assert calls.finish(as_handle(worker), job) is None
    assert (calls.running, job.state, worker.job, job.worker) == (0, JobState.DONE, None, None)


def test_cancelling_a_queued_call_withdraws_it_and_a_running_one_kills_its_worker() -> None:
    """A cancelled queued call is never claimed; a running one gets its worker killed once."""
    calls = CallQueue(None, None)
    running, queued = job_for(calls, 1), job_for(calls, 2)
    worker = StandInWorker()
    calls.put(running)
    calls.put(queued)
    assert calls.get() is running
    assert calls.claim(as_handle(worker), running) is True

    assert queued.future.cancel()
    assert calls.queued == 0
    assert calls.get() is queued
    assert calls.claim(as_handle(StandInWorker()), queued) is False

    assert running.future.cancel()
    assert (worker.kill_reason, worker.kills) == ("cancelled", 1)
    assert calls.finish(as_handle(worker), running) == "cancelled"


def test_a_call_for_a_worker_without_a_process_fails_as_broken() -> None:
    """A worker that could not be restarted fails the call it takes with BrokenPoolError."""
    calls = CallQueue(None, None)
    job = job_for(calls, 1)
    calls.put(job)
    assert calls.get() is job
    claimed = calls.claim(as_handle(StandInWorker(has_process=False)), job)
    assert isinstance(claimed, BrokenPoolError)
    assert "could not be restarted" in str(claimed)
    assert (calls.queued, calls.running, job.state) == (0, 0, JobState.DONE)


def test_close_returns_the_calls_that_never_ran_and_kills_every_worker() -> None:
    """close(): queued calls come back to fail, workers are killed for "shutdown", once."""
    calls = CallQueue(None, None)
    waiting = [job_for(calls, i) for i in range(3)]
    for job in waiting:
        calls.put(job)
    workers = [StandInWorker(), StandInWorker()]
    doomed = calls.close([as_handle(w) for w in workers])
    assert doomed == waiting
    assert all(job.state is JobState.DONE for job in waiting)
    assert [(w.kill_reason, w.kills) for w in workers] == [("shutdown", 1)] * 2
    assert calls.close([as_handle(w) for w in workers]) is None
    with pytest.raises(BrokenPoolError):
        calls.put(job_for(calls, 9))
    calls.stop_handlers(2)
    assert (calls.get(), calls.get()) == (None, None)


def test_only_calls_holding_a_slot_reach_the_queue() -> None:
    """With one slot, the second call waits for it; dropping the first's slot queues it."""
    calls = CallQueue(SlotGroup(1, None), Limit(2))
    first, second = job_for(calls, 1), job_for(calls, 2)
    calls.put(first)
    calls.put(second)
    assert first.slot is not None
    assert second.slot is None
    assert second.ticket is not None
    assert calls.get() is first
    assert calls.claim(as_handle(StandInWorker()), first) is True
    calls.drop_slot(first)
    assert first.slot is None
    assert second.slot is not None
    assert calls.get() is second


def test_a_call_cancelled_while_waiting_for_a_slot_withdraws_its_request() -> None:
    """Cancelling a call that waits for a slot frees its place: the next call gets the slot."""
    group = SlotGroup(1, None)
    calls = CallQueue(group, Limit(2))
    first, waiting, third = job_for(calls, 1), job_for(calls, 2), job_for(calls, 3)
    for job in (first, waiting, third):
        calls.put(job)
    assert waiting.future.cancel()
    assert waiting.ticket is None
    assert calls.queued == 2
    assert calls.get() is first
    calls.claim(as_handle(StandInWorker()), first)
    calls.drop_slot(first)
    assert waiting.slot is None
    assert third.slot is not None
    assert calls.get() is third
