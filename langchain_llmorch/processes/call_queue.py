"""A pool's calls from `submit` to their worker: waiting for a slot, queued, running, done.

`CallQueue` is the state that the pool's public side (`processes.pool.ProcessPool`) and its
handler threads (one per `processes.handles.WorkerHandle`) share; see the diagram in
`processes.pool`. Its `lock` guards every job's `state`, `worker`, `ticket` and `slot`, the
counters, and each worker's `job` and `kill_reason`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from functools import partial
from itertools import count
from queue import Empty, PriorityQueue
from typing import TYPE_CHECKING

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.records import Job, JobState, KillReason

if TYPE_CHECKING:
    from concurrent.futures import Future

    from langchain_llmorch.processes.handles import WorkerHandle
    from langchain_llmorch.processes.records import CallOutcome
    from langchain_llmorch.processes.slots import Limit, Slot, SlotGroup, Ticket

# (priority, seq, job); a job of None tells a handler thread to stop
_QueueItem = tuple[float, int, Job | None]


class CallQueue:
    """The calls of one pool, in submit order within each priority.

    A call waits for a machine-wide slot of `slots` (under `limit`), then on a priority
    queue for a handler thread; without slots it goes to the queue at once.

    Example:
        ```python
        calls = CallQueue(None, None)
        job = Job.create(max, (3, 7), None, call_id=calls.next_id(), priority=0.0,
                         timeout=None, on_start=None)
        calls.put(job)
        assert calls.get() is job
        ```
    """

    def __init__(self, slots: SlotGroup | None, limit: Limit | None) -> None:
        """Queue calls that take slots of `slots` (`None`: no machine-wide slots)."""
        self.lock = threading.Lock()
        """Guards job states, the counters, and the workers' current jobs and kill reasons."""
        self.closed = False
        """Set by `close` (and in a forked child): no call is taken any more."""
        self.queued = 0
        """Calls submitted and not yet taken by a worker (waiting for a slot, or queued)."""
        self.running = 0
        """Calls running on a worker."""
        self._slots = slots
        self._limit = limit
        self._queue: PriorityQueue[_QueueItem] = PriorityQueue()
        self._seq = count()
        self._wanting: set[Job] = set()  # waiting for a machine-wide slot

    def next_id(self) -> int:
        """A new call id: ties of priority run in this order."""
        return next(self._seq)

    # --- the public side: submit, cancel, shut down ---------------------------------------

    def put(self, job: Job) -> None:
        """Count `job` in, and ask for its slot (or queue it at once without slots).

        Raises:
            BrokenPoolError: the queue was closed.
        """
        job.future.add_done_callback(partial(self._on_future_done, job))
        with self.lock:
            if self.closed:
                msg = "the pool was shut down; get a new one with get_pool()"
                raise BrokenPoolError(msg)
            self.queued += 1
            if self._slots is None:
                self._queue.put((job.priority, job.call_id, job))
                return
            self._wanting.add(job)
        slots, grant = self._slots, partial(self._granted, job)
        if _on_event_loop():  # asking may touch the slot files: not on the loop
            asking = slots.request_off_loop(grant, priority=job.priority, limit=self._limit)
            asking.add_done_callback(lambda done: self._hold(slots, job, done.result()))
        else:
            self._hold(slots, job, slots.request(grant, priority=job.priority, limit=self._limit))

    def _hold(self, slots: SlotGroup, job: Job, ticket: Ticket) -> None:
        """Keep the job's slot request, or withdraw it when the job went meanwhile."""
        with self.lock:
            wanted = job in self._wanting
            if wanted:
                job.ticket = ticket
        if not wanted:  # cancelled or shut down while asking: withdraw
            slots.cancel(ticket)

    def _granted(self, job: Job, slot: Slot) -> None:
        """The job holds a machine-wide slot now: queue it for a worker (any thread)."""
        with self.lock:
            self._wanting.discard(job)
            job.ticket = None
            wanted = job.state is JobState.QUEUED and not self.closed
            if wanted:
                job.slot = slot
                self._queue.put((job.priority, job.call_id, job))
        if not wanted and self._slots is not None:  # cancelled or shut down meanwhile
            self._slots.release(slot)

    def _on_future_done(self, job: Job, future: Future[CallOutcome]) -> None:
        """A cancelled future withdraws its call, or kills the worker running it (any thread)."""
        if not future.cancelled():
            return
        with self.lock:
            waiting = job.state is JobState.QUEUED and job in self._wanting
            if job.state is JobState.QUEUED:
                job.state = JobState.CANCELLED
                self.queued -= 1
            elif job.worker is not None:
                job.worker.kill_for(job, "cancelled")
        if waiting:  # still waiting for a slot: withdraw (a grant racing this is given back)
            self.drop_slot(job)
        future.set_running_or_notify_cancel()  # wakes concurrent.futures.wait() and friends

    def close(self, workers: list[WorkerHandle]) -> list[Job] | None:
        """Take no more calls and kill the workers; return the calls that never ran.

        `None` when it was closed already. The caller fails the returned calls and then
        stops the handler threads with `stop_handlers`.
        """
        doomed: list[Job] = []
        with self.lock:
            if self.closed:
                return None
            self.closed = True
            with contextlib.suppress(Empty):
                while True:
                    _, _, job = self._queue.get_nowait()
                    if job is not None and job.state is JobState.QUEUED:
                        job.state = JobState.DONE
                        self.queued -= 1
                        doomed.append(job)
                    elif job is not None:  # cancelled: its handler will not see it now
                        doomed.append(job)
            for job in self._wanting:
                if job.state is JobState.QUEUED:
                    job.state = JobState.DONE
                    self.queued -= 1
                    doomed.append(job)
            self._wanting.clear()
            for worker in workers:
                worker.kill_reason = worker.kill_reason or "shutdown"
                worker.kill()
        return doomed

    def stop_handlers(self, handlers: int) -> None:
        """Wake `handlers` handler threads with a stop, ahead of any call."""
        for _ in range(handlers):
            self._queue.put((-math.inf, self.next_id(), None))

    # --- the handler threads' side --------------------------------------------------------

    def get(self) -> Job | None:
        """The next call for a worker, once one holds its slot; `None`: stop (blocks)."""
        return self._queue.get()[2]

    def claim(self, worker: WorkerHandle, job: Job) -> bool | BrokenPoolError:
        """Make `job` the worker's call; False if it was cancelled, an error if it can't run."""
        with self.lock:
            if job.state is not JobState.QUEUED:
                return False
            self.queued -= 1
            if self.closed or not worker.has_process:
                job.state = JobState.DONE
                why = "the pool shut down" if self.closed else "its worker could not be restarted"
                return BrokenPoolError(f"{job.name} did not run: {why}")
            job.state, job.worker = JobState.RUNNING, worker
            worker.job, worker.kill_reason = job, None
            self.running += 1
            return True

    def finish(self, worker: WorkerHandle, job: Job) -> KillReason | None:
        """The worker is done with `job`; return why it was killed meanwhile, if it was."""
        with self.lock:
            job.state, job.worker = JobState.DONE, None
            worker.job = None
            self.running -= 1
            return worker.kill_reason

    def drop_slot(self, job: Job) -> None:
        """Give back the job's machine-wide slot, or withdraw its request for one."""
        with self.lock:
            slot, job.slot = job.slot, None
            ticket, job.ticket = job.ticket, None
            self._wanting.discard(job)
        if self._slots is not None:
            if ticket is not None:
                self._slots.cancel(ticket)
            if slot is not None:
                self._slots.release(slot)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


__all__ = ["CallQueue"]
