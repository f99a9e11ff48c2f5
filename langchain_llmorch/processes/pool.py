"""The CPU-bounded worker pool: at most P compute calls run at once, machine-wide.

How a compute call flows (one pool per process and size, shared by every agent and run in it):

    callers (threads, event loops)      parent process                      worker processes
    ------------------------------      --------------                      ----------------
    ProcessPool.submit(fn, args, priority)
      | Job.create: cloudpickle fn and args HERE;
      | unpicklable -> UnpicklableCallError, no slot taken
      v
    CallQueue.put -> machine-wide slots (processes.slots): wait, by priority, for one of the
      | P slots every process of the user shares, and for room under this pool's size
      v granted
    +------------------------+  get  +------------------+  Request  +--------------------+
    | CallQueue:             |------>| WorkerHandle 0   |---------->| worker 0 on core 0 |
    | PriorityQueue of       |       | handler thread:  |<----------| python -P          |
    | (priority, seq, Job),  |       | one call at a    |   Reply   |   worker_main.py   |
    | lower priority first,  |       | time             |           +--------------------+
    | ties FIFO              |  get  +------------------+           +--------------------+
    |                        |------>| WorkerHandle 1   |---------->| worker 1 on core 1 |
    +------------------------+       | handler thread   |<----------|                    |
                                     +------------------+           +--------------------+
                                              | Job.settle_reply / Job.settle_death
                                              v
                                     concurrent.futures.Future[CallOutcome]

    future.cancel() / abort(), the Watchdog thread (timeouts), shutdown():
        record why (worker.kill_reason) and SIGKILL the worker's process group; its handler
        thread reads EOF, turns the reason into the future's outcome and starts a new worker.

Who writes and reads each part (`CallQueue.lock` is the one lock of the pool):

    part                            written by                         read by
    ----                            ----------                         -------
    the priority queue              slot grants (any thread, often     handler threads
                                    in submit); shutdown: one stop
                                    per handler thread
    Job.state, counters,            submit, handler threads, a         the same, under the
    worker.job, worker.kill_reason  cancelled future, the watchdog,    lock
                                    shutdown -- all under the lock
    a worker's pipes and process    its handler thread alone: spawn,   its handler thread
                                    exchange, retire, restart
    SIGKILL of a worker             any thread, under the lock         its handler (EOF)

Only calls holding a machine-wide slot are on the queue, so the workers of every pool in
every process run at most P calls at once; each pool keeps its own warm workers. A call gives
its slot back when it ends, is cancelled or dropped, before its future is settled. A worker
that dies with no kill reason recorded crashed: `WorkerCrashedError`.

A future stays cancellable while its call runs (it is never set "running"): cancelling it
(`future.cancel()`, `abort()`, or cancelling an `asyncio.wrap_future` of it) kills the worker.

Where the classes live: `ProcessPool` and `get_pool` here; `CallQueue` in
`processes.call_queue`; `WorkerHandle` in `processes.handles` (a call's delivery to its
worker in `processes.delivery`); `Watchdog` in `processes.watchdog`; `Job` and
`CallOutcome` in `processes.records`; the wire format (`Request`, `Reply`) and the worker
program in `processes.worker_main`.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Any, Self

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.call_queue import CallQueue
from langchain_llmorch.processes.cpus import (
    MAX_PROCESSORS_ENV,
    allowed_cores,
    cgroup_cpu_quota,
    usable_cpus,
)
from langchain_llmorch.processes.handles import WorkerHandle
from langchain_llmorch.processes.records import (
    CallOutcome,
    Job,
    KillReason,
    RemoteCallError,
    RemoteTraceback,
)
from langchain_llmorch.processes.slots import Limit, SlotGroup, machine_slots
from langchain_llmorch.processes.watchdog import Watchdog

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future
    from types import TracebackType

__all__ = [
    "MAX_PROCESSORS_ENV",
    "CallOutcome",
    "KillReason",
    "ProcessPool",
    "RemoteCallError",
    "RemoteTraceback",
    "cgroup_cpu_quota",
    "get_pool",
    "usable_cpus",
]


class ProcessPool:
    """P worker processes, one call each at a time, fed from one priority queue.

    Example:
        ```python
        from langchain_llmorch.processes.pool import ProcessPool

        with ProcessPool(2) as pool:
            outcome = pool.submit(pow, (2, 10), priority=1.0, timeout=5).result()
            print(outcome.value, outcome.pid, outcome.processor)
        ```
    """

    def __init__(self, processors: int, *, slot_group: str | None = None) -> None:
        """Make a pool of `processors` workers; they start on `start()` or the first submit.

        Its calls also take machine-wide slots of `slot_group` (`None`: `LLMORCH_SLOT_GROUP`,
        default `default`; `"off"`: this pool's workers are the only bound).
        """
        if isinstance(processors, bool) or not isinstance(processors, int) or processors < 1:
            msg = f"processors must be a positive integer, not {processors!r}"
            raise ValueError(msg)
        self._processors = processors
        self._slots = machine_slots(slot_group)
        self._limit = Limit(processors) if self._slots is not None else None
        self._calls = CallQueue(self._slots, self._limit)
        self._watchdog = Watchdog()
        self._start_lock = threading.Lock()
        self._workers: list[WorkerHandle] = []
        self._started = False

    @property
    def processors(self) -> int:
        """How many workers, hence how many calls at most run at once."""
        return self._processors

    @property
    def slots(self) -> SlotGroup | None:
        """The machine-wide slots its calls take (`None` when they are off)."""
        return self._slots

    @property
    def slot_limit(self) -> Limit | None:
        """Its share of the slots: never more held than it has workers."""
        return self._limit

    @property
    def shut_down(self) -> bool:
        """Whether the pool was shut down (or this process forked since it started)."""
        return self._calls.closed

    def __enter__(self) -> Self:
        """Start the pool."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the pool down."""
        self.shutdown()

    def start(self) -> None:
        """Launch all workers now and wait until each is ready (no-op once started).

        Raises:
            BrokenPoolError: the pool was shut down, or a worker could not be started.
        """
        with self._start_lock:
            if self._calls.closed:
                msg = "the pool was shut down; get a new one with get_pool()"
                raise BrokenPoolError(msg)
            if self._started:
                return
            cpus = allowed_cores()
            for slot in range(self._processors):
                core = cpus[slot % len(cpus)] if cpus else None
                worker = WorkerHandle(slot, core, calls=self._calls, watchdog=self._watchdog)
                self._workers.append(worker)
            for worker in self._workers:
                worker.start()
            for worker in self._workers:
                worker.ready.wait()
            self._started = True
            _live_pools.add(self)
        errors = [w.start_error for w in self._workers if w.start_error is not None]
        if errors:
            self.shutdown()
            msg = f"could not start the worker processes: {errors[0]}"
            raise BrokenPoolError(msg) from errors[0]

    def submit(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        priority: float = 0.0,
        timeout: float | None = None,
        on_start: Callable[[int, int], None] | None = None,
    ) -> Future[CallOutcome]:
        """Queue `fn(*args, **kwargs)` for a worker and return its future.

        Args:
            fn: the function; pickled with cloudpickle, so lambdas, closures and functions
                of `__main__` or a notebook work.
            args: positional arguments.
            kwargs: keyword arguments.
            priority: lower runs first when calls wait for a worker; ties run in submit order.
            timeout: seconds the call may run before it is killed with its worker.
            on_start: called with `(pid, processor)` from a pool thread when a worker
                takes the call.

        Returns:
            A future of the `CallOutcome`. Its exception is the function's own (with the
            remote traceback as `__cause__`), `WorkerCrashedError`, `CallTimeoutError`,
            `UnpicklableCallError` (the result could not come back) or `BrokenPoolError`.

        Raises:
            UnpicklableCallError: `fn` or its arguments cannot be pickled (no slot is taken).
            BrokenPoolError: the pool was shut down.
            ValueError: `timeout` is not positive or `priority` is NaN.
        """
        if self._calls.closed:
            msg = "the pool was shut down; get a new one with get_pool()"
            raise BrokenPoolError(msg)
        job = Job.create(
            fn,
            args,
            kwargs,
            call_id=self._calls.next_id(),
            priority=priority,
            timeout=timeout,
            on_start=on_start,
        )
        self.start()
        self._calls.put(job)
        return job.future

    def abort(self, future: Future[CallOutcome]) -> None:
        """Stop a call: cancel it if queued, kill its worker if running (the worker is replaced).

        The future then raises `concurrent.futures.CancelledError`. A finished call is left as
        it is. Same as `future.cancel()`.
        """
        future.cancel()

    def running(self) -> int:
        """How many calls are running on a worker now."""
        return self._calls.running

    def idle_slots(self) -> int:
        """How many more calls would start right away if submitted now."""
        return max(0, self._processors - self._calls.running - self._calls.queued)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers, in slot order."""
        return [w.pid for w in self._workers if w.pid is not None]

    def shutdown(self, *, wait: bool = True) -> None:
        """Kill every worker; queued and running calls fail with `BrokenPoolError`.

        Args:
            wait: also wait until the handler threads have reaped their workers.
        """
        doomed = self._calls.close(self._workers)
        if doomed is not None:  # the first shutdown
            self._watchdog.stop()
            _live_pools.discard(self)
            for job in doomed:
                self._calls.drop_slot(job)
                job.settle(error=BrokenPoolError("the pool shut down before the call ran"))
            self._calls.stop_handlers(len(self._workers))
        if wait:
            for worker in self._workers:
                worker.join()


# --- the process-wide pools ---------------------------------------------------------------

_pools: dict[tuple[int, SlotGroup | None], ProcessPool] = {}
_pools_lock = threading.Lock()
_live_pools: set[ProcessPool] = set()


def get_pool(processors: int | None = None, *, slot_group: str | None = None) -> ProcessPool:
    """Return the process-wide pool, started warm on first use.

    Every agent and run in the process shares it. Pools are cached by size (and slot group):
    asking for another size returns a separate pool with its own warm workers, and every pool
    draws from the same machine-wide slots, so all of them together, in every process of the
    user, run at most P compute calls at once (see `langchain_llmorch.processes.slots`). A
    pool that was shut down is replaced by a new one. All pools are shut down at interpreter
    exit.

    Args:
        processors: number of workers; `None` means `usable_cpus()`.
        slot_group: the machine-wide slot group; `None` reads `LLMORCH_SLOT_GROUP`, `"off"`
            leaves each pool bounded by its own workers only.

    Example:
        ```python
        from langchain_llmorch.processes.pool import get_pool

        pool = get_pool()
        assert get_pool() is pool
        print(pool.submit(max, (3, 7)).result().value)
        ```
    """
    size = usable_cpus() if processors is None else processors
    key = (size, machine_slots(slot_group))
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or pool.shut_down:
            pool = _pools[key] = ProcessPool(size, slot_group=slot_group)
        pool.start()
    return pool


@atexit.register
def _shutdown_all() -> None:
    for pool in list(_live_pools):
        pool.shutdown(wait=False)  # SIGKILLs every worker now; reaping is not needed at exit


def _forget_pools_in_child() -> None:
    """After `os.fork()` the child has no handler threads: its copies of the pools are broken."""
    global _pools_lock  # noqa: PLW0603 -- the parent's lock may have been held at the fork
    for pool in [*_pools.values(), *_live_pools]:
        pool._calls.closed = True  # noqa: SLF001 -- same module
    _pools.clear()
    _live_pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)
