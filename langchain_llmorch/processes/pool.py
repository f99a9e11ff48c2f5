"""The CPU-bounded worker pool: at most P compute calls run at once, machine-wide.

How a compute call flows (one pool per process and size, shared by every agent and run in it):

    callers (threads, event loops)      parent process                      worker processes
    ------------------------------      --------------                      ----------------
    submit(fn, args, priority)
      | cloudpickle fn and args HERE:
      | unpicklable -> UnpicklableCallError, no slot taken
      v
    machine-wide slots (processes.slots): wait, by priority, for one of the P slots that
      | every process of the user shares, and for room under this pool's size
      v granted
    +------------------------+  get  +------------------+  Request  +--------------------+
    | _queue: PriorityQueue  |------>| handler thread 0 |---------->| worker 0 on core 0 |
    | of (priority, seq,     |       | one call at a    |<----------| python -P          |
    |     _Job)              |       | time, waits for  |   Reply   |   worker_main.py   |
    | lower priority first,  |       | its Reply        |           +--------------------+
    | ties FIFO              |  get  +------------------+           +--------------------+
    |                        |------>| handler thread 1 |---------->| worker 1 on core 1 |
    +------------------------+       |                  |<----------|                    |
                                     +------------------+           +--------------------+
                                              | set_result / set_exception
                                              v
                                     concurrent.futures.Future[CallOutcome]

    future.cancel() / abort(), the timeout watchdog thread, shutdown():
        record why (worker.kill_reason) and SIGKILL the worker's process group; its handler
        reads EOF, turns the reason into the future's outcome and starts a new worker.

Only calls holding a machine-wide slot are on `_queue`, so the workers of every pool in every
process run at most P calls at once; each pool keeps its own warm workers. A call gives its
slot back when it ends, is cancelled or dropped, before its future is settled.

Who touches what: the slot grant (often inside `submit`) puts jobs on `_queue`; every handler
thread takes them from it; handler i alone owns worker i's pipes, reaps it and restarts it.
Other threads never touch a pipe, they only kill. A worker that dies with no kill reason
recorded crashed: `WorkerCrashedError`.

A future stays cancellable while its call runs (it is never set "running"): cancelling it
(`future.cancel()`, `abort()`, or cancelling an `asyncio.wrap_future` of it) kills the worker.

Where the parts live: `langchain_llmorch.processes.cpus` sizes the pool (`usable_cpus`),
`langchain_llmorch.processes.records` holds the call and worker records and turns replies into
outcomes, `langchain_llmorch.processes.workers` runs the handler threads and the watchdog, and
`langchain_llmorch.processes.worker_main` is the worker process. This module keeps
`ProcessPool`'s public side and the process-wide pools, and re-exports the names callers
import from here.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import math
import os
import threading
from concurrent.futures import Future
from functools import partial
from itertools import count
from queue import Empty, PriorityQueue
from typing import TYPE_CHECKING, Any, Self

import cloudpickle

from langchain_llmorch.errors import BrokenPoolError, UnpicklableCallError
from langchain_llmorch.processes.cpus import (
    MAX_PROCESSORS_ENV,
    _affinity,
    cgroup_cpu_quota,
    usable_cpus,
)
from langchain_llmorch.processes.records import (
    CallOutcome,
    KillReason,
    RemoteCallError,
    RemoteTraceback,
    _Job,
    _QueueItem,
    _settle,
    _State,
    _Worker,
)
from langchain_llmorch.processes.slots import Limit, Slot, SlotGroup, machine_slots
from langchain_llmorch.processes.workers import _PoolWorkers, _Watchdog

if TYPE_CHECKING:
    from collections.abc import Callable
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


# --- the pool -----------------------------------------------------------------------------


class ProcessPool(_PoolWorkers):
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
        self._wanting: set[_Job] = set()  # waiting for a machine-wide slot
        self._queue: PriorityQueue[_QueueItem] = PriorityQueue()
        self._seq = count()
        self._lock = threading.Lock()  # guards job states, counters, kill reasons, w.proc
        self._start_lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._started = False
        self._shut = False
        self._n_queued = 0
        self._n_running = 0
        self._watchdog = _Watchdog(self._expire)

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
            if self._shut:
                msg = "the pool was shut down; get a new one with get_pool()"
                raise BrokenPoolError(msg)
            if self._started:
                return
            cpus = _affinity()
            for slot in range(self._processors):
                core = cpus[slot % len(cpus)] if cpus else None
                worker = _Worker(slot=slot, core=core)
                worker.thread = threading.Thread(
                    target=self._handle, args=(worker,), name=f"llmorch-pool-{slot}", daemon=True
                )
                self._workers.append(worker)
            for worker in self._workers:
                assert worker.thread is not None
                worker.thread.start()
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
        if self._shut:
            msg = "the pool was shut down; get a new one with get_pool()"
            raise BrokenPoolError(msg)
        if timeout is not None and not timeout > 0:
            msg = f"timeout must be positive seconds or None, not {timeout!r}"
            raise ValueError(msg)
        if math.isnan(priority):
            raise ValueError("priority must be a number, not NaN")
        name = getattr(fn, "__qualname__", None) or repr(fn)
        try:
            fn_pickle = cloudpickle.dumps(fn)
            args_pickle = cloudpickle.dumps((tuple(args), dict(kwargs or {})))
        except Exception as exc:
            msg = (
                f"cannot send {name} and its arguments to a worker process: {exc}. "
                "Pass plain data (no locks, open files or connections)."
            )
            raise UnpicklableCallError(msg) from exc
        self.start()
        future: Future[CallOutcome] = Future()
        job = _Job(
            future=future,
            name=name,
            fn_digest=hashlib.blake2b(fn_pickle, digest_size=16).digest(),
            fn_pickle=fn_pickle,
            args_pickle=args_pickle,
            timeout=timeout,
            call_id=next(self._seq),
            on_start=on_start,
            priority=priority,
        )
        future.add_done_callback(partial(self._on_future_done, job))
        with self._lock:
            if self._shut:
                msg = "the pool was shut down; get a new one with get_pool()"
                raise BrokenPoolError(msg)
            self._n_queued += 1
            if self._slots is None:
                self._queue.put((priority, job.call_id, job))
                return future
            self._wanting.add(job)
        ticket = self._slots.request(
            partial(self._granted, job), priority=priority, limit=self._limit
        )
        with self._lock:
            wanted = job in self._wanting
            if wanted:
                job.ticket = ticket
        if not wanted:  # cancelled or shut down while asking: withdraw
            self._slots.cancel(ticket)
        return future

    def _granted(self, job: _Job, slot: Slot) -> None:
        """The job holds a machine-wide slot now: queue it for a worker (any thread)."""
        with self._lock:
            self._wanting.discard(job)
            job.ticket = None
            wanted = job.state is _State.QUEUED and not self._shut
            if wanted:
                job.slot = slot
                self._queue.put((job.priority, job.call_id, job))
        if not wanted and self._slots is not None:  # cancelled or shut down meanwhile
            self._slots.release(slot)

    def abort(self, future: Future[CallOutcome]) -> None:
        """Stop a call: cancel it if queued, kill its worker if running (the worker is replaced).

        The future then raises `concurrent.futures.CancelledError`. A finished call is left as
        it is. Same as `future.cancel()`.
        """
        future.cancel()

    def running(self) -> int:
        """How many calls are running on a worker now."""
        return self._n_running

    def idle_slots(self) -> int:
        """How many more calls would start right away if submitted now."""
        return max(0, self._processors - self._n_running - self._n_queued)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers, in slot order."""
        return [w.pid for w in self._workers if w.pid is not None]

    def shutdown(self, *, wait: bool = True) -> None:
        """Kill every worker; queued and running calls fail with `BrokenPoolError`.

        Args:
            wait: also wait until the handler threads have reaped their workers.
        """
        doomed: list[_Job] = []
        with self._lock:
            first = not self._shut
            self._shut = True
            if first:
                with contextlib.suppress(Empty):
                    while True:
                        _, _, job = self._queue.get_nowait()
                        if job is not None and job.state is _State.QUEUED:
                            job.state = _State.DONE
                            self._n_queued -= 1
                            doomed.append(job)
                        elif job is not None:  # cancelled: its handler will not see it now
                            doomed.append(job)
                for job in self._wanting:
                    if job.state is _State.QUEUED:
                        job.state = _State.DONE
                        self._n_queued -= 1
                        doomed.append(job)
                self._wanting.clear()
                for worker in self._workers:
                    worker.kill_reason = worker.kill_reason or "shutdown"
                    self._kill_locked(worker)
        if first:
            self._watchdog.stop()
            _live_pools.discard(self)
            for job in doomed:
                self._drop_slot(job)
                _settle(job.future, error=BrokenPoolError("the pool shut down before the call ran"))
            for _ in self._workers:
                self._queue.put((-math.inf, next(self._seq), None))
        if wait:
            for worker in self._workers:
                if worker.thread is not None and worker.thread is not threading.current_thread():
                    worker.thread.join()


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
        if pool is None or pool._shut:  # noqa: SLF001 -- same module
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
        pool._shut = True  # noqa: SLF001 -- same module
    _pools.clear()
    _live_pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)
