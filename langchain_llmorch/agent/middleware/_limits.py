"""A concurrency limit that threads and event loops share.

`create_agent` runs a sync agent's tool calls on threads and an async agent's on one
event loop; one `LLMOrchMiddleware` may serve both, so its `max_concurrency` bound is one
counter both kinds of caller wait on, first come first served:

    thread:  hold()  --- free? take it --- else wait on a threading.Event ----.
    loop:    ahold() --- free? take it --- else await a loop future ---------+--> granted
    release(): hand the place straight to the oldest waiter, else free it ----'

A waiter that gives up (a cancelled task) after it was granted passes the place on.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator


class _Waiter:
    """One caller waiting for a place: a thread (an event) or a task (a loop future)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.granted = False
        self.event = threading.Event() if loop is None else None
        self.loop = loop
        self.future: asyncio.Future[None] | None = None if loop is None else loop.create_future()

    def wake(self) -> None:  # with the limiter's lock held
        self.granted = True
        if self.event is not None:
            self.event.set()
        elif self.loop is not None and self.future is not None:
            self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Limiter:
    """At most `size` holders at once, for threads and tasks alike (FIFO).

    Args:
        size: places; at least 1.

    Example:
        ```python
        limit = Limiter(4)
        with limit.hold():
            ...  # at most 4 threads or tasks are here at once
        ```
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            msg = f"a concurrency limit must be at least 1, not {size}"
            raise ValueError(msg)
        self.size = size
        self._free = size
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter] = deque()

    @property
    def held(self) -> int:
        """Places taken now."""
        return self.size - self._free

    def _try_take(self, loop: asyncio.AbstractEventLoop | None) -> _Waiter | None:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return None
            waiter = _Waiter(loop)
            self._waiters.append(waiter)
            return waiter

    def _give_up(self, waiter: _Waiter) -> None:
        """A waiter stops waiting: withdraw it, or pass on a place it was granted."""
        with self._lock:
            if not waiter.granted:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
                return
        self.release()

    def release(self) -> None:
        """Give a place back: the oldest waiter gets it, else it is free."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().wake()
            else:
                self._free += 1

    def acquire(self) -> None:
        """Take a place, blocking this thread until one is free."""
        waiter = self._try_take(None)
        if waiter is None or waiter.event is None:
            return
        try:
            waiter.event.wait()
        except BaseException:
            self._give_up(waiter)
            raise

    async def aacquire(self) -> None:
        """Take a place, waiting on the event loop until one is free."""
        waiter = self._try_take(asyncio.get_running_loop())
        if waiter is None or waiter.future is None:
            return
        try:
            await waiter.future
        except BaseException:
            self._give_up(waiter)
            raise

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold a place for the block (threads)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @contextlib.asynccontextmanager
    async def ahold(self) -> AsyncIterator[None]:
        """Hold a place for the block (tasks)."""
        await self.aacquire()
        try:
            yield
        finally:
            self.release()
