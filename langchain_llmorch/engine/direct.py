"""Sync inout calls handed straight from the coordinator to the thread pool.

Most inout tools are plain functions (an HTTP client, a database driver). Such a call
needs no task and no coroutine on the event loop: the coordinator fills its arguments,
submits the function to the shared `InoutThreads`, and goes on. When the thread is done,
its future comes back to the run's queue of finished calls:

    coordinator ─ submit ─► InoutThreads ─ done ─► inbox ─► (one wake-up of the loop
         ▲                                                    for every finished call
         └──────────────── land(): value or error ◄───────────  waiting there)

- **Fewer wake-ups.** Threads that finish while the loop is busy share one
  `call_soon_threadsafe`: the inbox wakes the loop only when it was empty.
- **Timeouts stay typed.** With `call_timeout`, a timer on the loop fails the call with
  `CallTimeoutError` and abandons its thread (`InoutThreads.abandon`: bounded, daemon).
- **A `BaseException` stays the call's.** The pool's thread catches it; `land` turns
  `SystemExit`, `KeyboardInterrupt`, `GeneratorExit` (or a tool's own `CancelledError`)
  into that call's `CallFailedError`.
- **Cancelled runs leave no call behind.** `abandon_all` gives up every call in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, NamedTuple

from langchain_core.tools import BaseTool

from langchain_llmorch.engine.calls import CallRunner
from langchain_llmorch.engine.events import TraceRecord


class Landed(NamedTuple):
    """A direct call that ended: its id, its record, and its value or its error."""

    cid: str
    record: TraceRecord
    value: Any
    error: BaseException | None


class DirectCalls:
    """The direct calls of one run in flight (see the module docstring).

    Example:
        ```python
        direct = DirectCalls(run.runner, deliver=run.finished.put_nowait)
        direct.submit("s1", record, tool, {"q": "x"}, on_start=lambda r: None)
        landed = direct.land(await run.finished.get())  # the call's value or error
        ```
    """

    def __init__(self, runner: CallRunner, *, deliver: Callable[[Future[Any]], None]) -> None:
        """Start on the running loop; `deliver` receives each future that comes back there."""
        self.runner = runner
        self.deliver = deliver
        self.loop = asyncio.get_running_loop()
        self.running: dict[Future[Any], tuple[str, TraceRecord, asyncio.TimerHandle | None]] = {}
        self._inbox: deque[Future[Any]] = deque()
        self._lock = threading.Lock()
        self._armed = False  # a drain of the inbox is scheduled on the loop

    def __len__(self) -> int:
        """Calls in flight."""
        return len(self.running)

    def submit(
        self,
        cid: str,
        record: TraceRecord,
        tool: BaseTool,
        args: dict[str, Any],
        *,
        on_start: Callable[[TraceRecord], None],
    ) -> None:
        """Run `tool` with `args` in a thread as the call `cid`."""
        future = self.runner.submit_threaded(tool, record, args, on_start)
        timeout = self.runner.call_timeout
        timer = self.loop.call_later(timeout, self._expire, future) if timeout else None
        self.running[future] = (cid, record, timer)
        future.add_done_callback(self._from_thread)

    def land(self, future: Future[Any]) -> Landed | None:
        """The call of `future`, ended (`None`: it had already landed, e.g. timed out)."""
        entry = self.running.pop(future, None)
        if entry is None:
            return None
        cid, record, timer = entry
        if timer is not None:
            timer.cancel()
        if not future.done():  # its timer fired first
            self.runner.threads.abandon(future)
            record.ended_at = time.time()
            return Landed(cid, record, None, self.runner.timed_out(record))
        try:
            return Landed(cid, record, self.runner.threaded_value(record, future), None)
        except Exception as err:  # the call's own error, whatever it is
            return Landed(cid, record, None, err)

    def abandon_all(self) -> None:
        """The run is cancelled: give up every call in flight (their threads are not waited for)."""
        for future, (_, _, timer) in list(self.running.items()):
            if timer is not None:
                timer.cancel()
            self.runner.threads.abandon(future)
        self.running.clear()

    def _expire(self, future: Future[Any]) -> None:  # on the loop
        if future in self.running and not future.done():
            self.deliver(future)

    def _from_thread(self, future: Future[Any]) -> None:  # on the pool's thread (or the loop)
        self._inbox.append(future)
        with self._lock:
            if self._armed:
                return
            self._armed = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: the run is gone
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:  # on the loop
        with self._lock:
            self._armed = False
        while self._inbox:
            self.deliver(self._inbox.popleft())


__all__ = ["DirectCalls", "Landed"]
