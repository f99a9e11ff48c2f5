"""The call queue's guarantees that the mutation run of `processes.call_queue` found untested."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.call_queue import CallQueue
from langchain_llmorch.processes.slots import Limit, Slot, SlotGroup
from tests.unit_tests.processes.test_call_queue import StandInWorker, as_handle, job_for
from tests.unit_tests.processes.test_slot_files_mutants import probe

if TYPE_CHECKING:
    from pathlib import Path

PATIENCE = 30.0


def test_close_leaves_no_call_counted_as_queued() -> None:
    """Calls on the queue and calls still waiting for a slot all leave the count at close."""
    calls = CallQueue(SlotGroup(1, None), Limit(2))
    jobs = [job_for(calls, i) for i in range(4)]
    for job in jobs:
        calls.put(job)
    assert calls.queued == 4
    doomed = calls.close([])
    assert doomed is not None
    assert sorted(job.call_id for job in doomed) == [job.call_id for job in jobs]
    assert calls.queued == 0


def test_a_call_taken_as_the_pool_shuts_down_says_so() -> None:
    """A handler that took a call just before close() gets 'the pool shut down' for it."""
    calls = CallQueue(None, None)
    job = job_for(calls, 1)
    calls.put(job)
    assert calls.get() is job
    calls.close([])
    claimed = calls.claim(as_handle(StandInWorker()), job)
    assert isinstance(claimed, BrokenPoolError)
    assert "did not run: the pool shut down" in str(claimed)


async def test_a_call_put_on_the_event_loop_waits_for_its_slot_then_is_queued() -> None:
    """Put from a running loop (asked off the loop), a call without a free slot waits for
    one and reaches the queue when it is given back."""
    calls = CallQueue(SlotGroup(1, None), Limit(2))
    first, second = job_for(calls, 1), job_for(calls, 2)
    calls.put(first)
    assert await asyncio.wait_for(asyncio.to_thread(calls.get), PATIENCE) is first
    assert calls.claim(as_handle(StandInWorker()), first) is True
    calls.put(second)
    for _ in range(1000):  # its request is made on the group's thread
        if second.ticket is not None:
            break
        await asyncio.sleep(0.002)
    assert second.ticket is not None
    assert second.slot is None
    calls.drop_slot(first)
    assert second.slot is not None
    assert second.ticket is None
    assert calls.get() is second


async def test_a_call_cancelled_while_its_slot_is_asked_for_leaves_no_request(
    tmp_path: Path,
) -> None:
    """Put on the loop and cancelled before its request is made: the request is withdrawn,
    so this process no longer says it waits for a slot (other processes see no waiter)."""
    group = SlotGroup(1, tmp_path)
    calls = CallQueue(group, Limit(2))
    held: list[Slot] = []
    granted, go_on = threading.Event(), threading.Event()

    def grant_and_block(slot: Slot) -> None:  # keeps the group's request thread busy
        held.append(slot)
        granted.set()
        go_on.wait(PATIENCE)

    busy = asyncio.wrap_future(group.request_off_loop(grant_and_block))
    assert await asyncio.to_thread(granted.wait, PATIENCE)
    job = job_for(calls, 1)
    calls.put(job)  # its request waits behind the busy one
    assert job.future.cancel()
    go_on.set()
    await busy
    after = await asyncio.wrap_future(group.request_off_loop(lambda _slot: None))
    assert group.cancel(after)  # made after the job's request: that one is settled now
    assert await asyncio.to_thread(probe, tmp_path) == "False"
    group.release(held[0])
    assert group.holding() == 0
