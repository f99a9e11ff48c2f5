"""Whether a call reached its worker: the start mark both sides map, and sending a call.

A worker can die between calls a moment before the handler thread sees it (for about a
millisecond after a process dies, `waitpid` does not report it yet). A call that provably
never started goes to a fresh worker, once (`WorkerHandle._attempt`, in
`processes.handles`): sending it failed (no process reads the pipe, `deliver`), or the
worker died without marking it started (`StartMark`, the shared `mark` of `worker_main`,
read by `receive`). A call the worker started fails with `WorkerCrashedError` when the
worker dies, so no tool ever runs twice.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_llmorch.processes.worker_main import (
    STARTED_SIZE,
    Reply,
    Request,
    recv_frame,
    send_frame,
    started_call,
)

if TYPE_CHECKING:
    from langchain_llmorch.processes.records import Job

# The records of worker restarts keep the pool's logger name, as before the module was split.
logger = logging.getLogger("langchain_llmorch.processes.pool")


class NotDeliveredError(Exception):
    """The call never started: the worker died before it got it, or before it started it."""


class StartMark:
    """The `mark` file of one worker process (see `worker_main`): the call it started last.

    The parent makes and maps it before the process starts, the worker maps it from its
    hello; the file's name goes once both sides map it (where a mapped file can go).
    """

    def __init__(self) -> None:
        """No mark yet: `renew` makes the next process's."""
        self._mark: mmap.mmap | None = None  # the process's `mark` (see `worker_main`)
        self.path: str | None = None
        """Its file, while it has a name."""

    def renew(self, slot: int) -> None:
        """Make the zeroed `mark` file of the next process and map it (none if that fails)."""
        self.drop()
        try:
            fd, path = tempfile.mkstemp(prefix="llmorch-started-")
        except OSError:  # no temporary directory: calls whose worker dies are not retried
            logger.warning("no temporary file for llmorch worker %s's start marks", slot)
            return
        try:
            os.write(fd, bytes(STARTED_SIZE))
            self._mark, self.path = mmap.mmap(fd, STARTED_SIZE), path
        except (OSError, ValueError):
            Path(path).unlink(missing_ok=True)
        finally:
            os.close(fd)

    def unlink(self) -> None:
        """Remove the file's name (the mapping stays)."""
        if self.path is not None:
            with contextlib.suppress(OSError):  # Windows: not while mapped; `_retire` does it
                Path(self.path).unlink()
                self.path = None

    def drop(self) -> None:
        """Unmap the mark and remove its file."""
        mark, self._mark = self._mark, None
        if mark is not None:
            mark.close()
        self.unlink()

    def started(self, job: Job) -> bool:
        """Whether the worker marked `job` started (when it cannot tell: yes)."""
        return self._mark is None or started_call(self._mark) == job.call_id


def deliver(fd: int, request: Request) -> None:
    """Send `request`; a failed write means the worker never got the whole call.

    A frame is read whole before the call runs, and a write fails only when no process
    reads the pipe any more: the worker is gone.

    Raises:
        NotDeliveredError: the write failed.
    """
    try:
        send_frame(fd, request.to_parts())
    except OSError as err:
        raise NotDeliveredError(str(err)) from err


def receive(job: Job, from_worker: int, mark: StartMark) -> Reply:
    """The worker's next reply to `job`.

    Raises:
        NotDeliveredError: the worker died before it started the call.
        OSError, EOFError: it died after, or when it cannot tell.
    """
    try:
        return Reply.from_parts(recv_frame(from_worker))
    except (OSError, EOFError) as err:
        if mark.started(job):
            raise
        raise NotDeliveredError(str(err)) from err


__all__ = ["NotDeliveredError", "StartMark", "deliver", "receive"]
