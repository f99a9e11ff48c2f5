"""Where calls run: the compute-backend protocol, the shared inout thread pools, sync runs."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from langchain_llmorch.processes.records import CallOutcome

T = TypeVar("T")

# Sync inout tools run in threads; 32 keeps a burst of blocking HTTP calls overlapping
# without letting a huge plan spawn hundreds of threads.
DEFAULT_MAX_THREADS = 32


@dataclass
class _Job:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class InoutThreads(Executor):
    """Daemon threads for sync inout tools, where a stuck call gives its slot back.

    A thread cannot be killed in-process, so a call that ran past its timeout is
    *abandoned*: its thread stops counting against `size` (another thread takes its
    place) and ends on its own when the tool returns. At most `max_stuck` threads
    are abandoned at once; past that, a stuck call keeps its slot. So the threads
    never exceed `size + max_stuck`, and the threads are daemons: a stuck tool never
    blocks the interpreter from exiting.

    Args:
        size: threads running calls at once.
        max_stuck: abandoned threads allowed at once (default: `size`).
    """

    def __init__(self, size: int, *, max_stuck: int | None = None) -> None:
        """Create the pool; threads start on demand."""
        if size < 1:
            msg = f"max_threads must be at least 1, not {size}"
            raise ValueError(msg)
        self.size = size
        self.max_stuck = size if max_stuck is None else max_stuck
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._jobs: deque[_Job] = deque()
        self._threads = 0  # threads that count against `size`
        self._idle = 0  # of those, waiting for a job
        self._running: dict[Future[Any], threading.Thread] = {}
        self._abandoned: set[threading.Thread] = set()
        self._closed = False

    @property
    def stuck(self) -> int:
        """Abandoned threads still running their call."""
        return len(self._abandoned)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Queue `fn(*args, **kwargs)` and return its future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                msg = "the inout thread pool is shut down"
                raise RuntimeError(msg)
            self._jobs.append(_Job(future, fn, args, kwargs))
            self._wake_or_start()
        return future

    def abandon(self, future: Future[Any]) -> None:
        """Give up on `future` (its caller timed out or was cancelled).

        A queued call is cancelled. A running one keeps its thread, which stops
        counting against the pool (up to `max_stuck` threads), so the pool goes on.
        """
        if future.cancel():
            return
        with self._lock:
            thread = self._running.get(future)
            if thread is None or thread in self._abandoned:
                return
            if len(self._abandoned) >= self.max_stuck:
                return  # bounded: this call keeps its slot until it returns
            self._abandoned.add(thread)
            self._threads -= 1
            if self._jobs:
                self._wake_or_start()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:  # noqa: FBT001, FBT002 - Executor's signature
        """Stop taking calls; idle threads end (running calls are never waited for)."""
        del wait  # a stuck tool must never block the caller
        with self._lock:
            self._closed = True
            if cancel_futures:
                while self._jobs:
                    self._jobs.popleft().future.cancel()
            self._wakeup.notify_all()

    def _wake_or_start(self) -> None:  # with the lock held
        if self._idle > 0:
            self._idle -= 1
            self._wakeup.notify()
        elif self._threads < self.size:
            self._threads += 1
            threading.Thread(target=self._work, name="llmorch-inout", daemon=True).start()

    def _next(self) -> _Job | None:  # with the lock held
        while not self._jobs:
            if self._closed:
                self._threads -= 1
                return None
            self._idle += 1
            self._wakeup.wait()
        return self._jobs.popleft()

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                job = self._next()
                if job is None:
                    return
                if not job.future.set_running_or_notify_cancel():
                    continue
                future = job.future
                self._running[future] = me
            try:
                future.set_result(job.fn(*job.args, **job.kwargs))
            except BaseException as exc:
                future.set_exception(exc)
                del exc
            del job  # nothing of the call stays alive while the thread waits
            with self._lock:
                self._running.pop(future, None)
                if me in self._abandoned:  # replaced while stuck: end here
                    self._abandoned.discard(me)
                    return


_THREAD_POOLS: dict[int, InoutThreads] = {}
_THREAD_POOLS_LOCK = threading.Lock()


def thread_pool(size: int) -> InoutThreads:
    """One thread pool per size for the whole process: agents come and go, threads stay few."""
    if size < 1:
        msg = f"max_threads must be at least 1, not {size}"
        raise ValueError(msg)
    with _THREAD_POOLS_LOCK:
        if size not in _THREAD_POOLS:
            _THREAD_POOLS[size] = InoutThreads(size)
        return _THREAD_POOLS[size]


class ComputeExecutor(Protocol):
    """What the coordinator needs from a compute backend (the process pool, Dask, Ray)."""

    @property
    def processors(self) -> int:
        """How many compute calls may run at once."""
        ...

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
        """Queue one call; lower priority runs first; `on_start(pid, processor)` when it runs."""
        ...

    def abort(self, future: Future[CallOutcome]) -> None:
        """Cancel a queued call or kill a running one."""
        ...


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even under a running loop.

    Without a running loop this is `asyncio.run`; inside one (a notebook, an async
    app), the coroutine runs on a fresh loop in a helper thread.

    Example:
        ```python
        result = run_sync(orchestrator.arun(frg))
        ```
    """
    box: list[T] = []
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_into(coro, box))
        return box[0]
    with ThreadPoolExecutor(1, thread_name_prefix="llmorch-run") as helper:
        helper.submit(asyncio.run, _into(coro, box)).result()
    return box[0]


async def _into(coro: Coroutine[Any, Any, T], box: list[T]) -> None:
    """Await `coro` into `box`, so the main task's own result is `None`.

    On its way out `asyncio.run` can format the main task with `repr` (while checking
    its SIGINT handler), result included: a run of 10,000 calls spent 0.15 s on it.
    """
    box.append(await coro)
