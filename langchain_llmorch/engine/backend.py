"""Where calls run: the compute-backend protocol, the shared inout thread pools, sync runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from langchain_llmorch.processes.records import CallOutcome

# Sync inout tools run in threads; 32 keeps a burst of blocking HTTP calls overlapping
# without letting a huge plan spawn hundreds of threads.
DEFAULT_MAX_THREADS = 32


_THREAD_POOLS: dict[int, ThreadPoolExecutor] = {}
_THREAD_POOLS_LOCK = threading.Lock()


def thread_pool(size: int) -> ThreadPoolExecutor:
    """One thread pool per size for the whole process: agents come and go, threads stay few."""
    if size < 1:
        msg = f"max_threads must be at least 1, not {size}"
        raise ValueError(msg)
    with _THREAD_POOLS_LOCK:
        if size not in _THREAD_POOLS:
            _THREAD_POOLS[size] = ThreadPoolExecutor(size, thread_name_prefix="llmorch-inout")
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


T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even under a running loop.

    Without a running loop this is `asyncio.run`; inside one (a notebook, an async
    app), the coroutine runs on a fresh loop in a helper thread.

    Example:
        ```python
        result = run_sync(orchestrator.arun(frg))
        ```
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="llmorch-run") as helper:
        return helper.submit(asyncio.run, coro).result()
