"""The timeout `Watchdog`: one thread per pool that kills calls running past their timeout.

A `WorkerHandle` (`processes.handles`) arms it before it sends a call with a timeout and
disarms it when the reply comes; when a deadline passes, the watchdog asks the handle to
kill its process (`WorkerHandle.time_out`), and the handler thread settles the call.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_llmorch.processes.handles import WorkerHandle
    from langchain_llmorch.processes.records import Job


class Watchdog:
    """One thread per pool that kills calls running past their timeout (started when needed).

    A worker runs one call at a time, so it holds at most one deadline. When it passes, the
    watchdog calls `worker.time_out(job)`.

    Example:
        ```python
        watchdog = Watchdog()
        watchdog.arm(worker, job, timeout=5.0)
        ...  # the call ends in time
        watchdog.disarm(worker)
        ```
    """

    def __init__(self) -> None:
        """Make a watchdog; its thread starts at the first `arm`."""
        self._cond = threading.Condition()  # taken before the pool's lock, never after
        self._deadlines: dict[WorkerHandle, tuple[float, Job]] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, worker: WorkerHandle, job: Job, timeout: float) -> None:
        """Expire `job` on `worker` after `timeout` seconds unless disarmed first."""
        with self._cond:
            self._deadlines[worker] = (time.monotonic() + timeout, job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="llmorch-pool-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def disarm(self, worker: WorkerHandle) -> None:
        """Forget the worker's deadline."""
        with self._cond:
            self._deadlines.pop(worker, None)

    def stop(self) -> None:
        """End the thread."""
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                for worker, (deadline, job) in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[worker]
                        worker.time_out(job)
                nearest = min((d for d, _ in self._deadlines.values()), default=None)
                self._cond.wait(None if nearest is None else nearest - now)


__all__ = ["Watchdog"]
