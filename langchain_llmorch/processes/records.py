"""The worker pool's records: a call, a worker slot, and what a finished call returns.

`processes.pool.ProcessPool` queues a `_Job` per call and keeps a `_Worker` per slot;
the helpers at the bottom turn a worker's `Reply` (or its death) into the outcome of the
call's future: a `CallOutcome`, the tool's own exception chained to a `RemoteTraceback`, or
one of the pool's errors.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import cloudpickle

from langchain_llmorch.errors import (
    BrokenPoolError,
    CallTimeoutError,
    LLMOrchError,
    UnpicklableCallError,
    WorkerCrashedError,
)
from langchain_llmorch.processes.slots import Slot, Ticket
from langchain_llmorch.processes.worker_main import (
    FUNCTION_CACHE_SIZE,
    Buffer,
    LRUCache,
    Reply,
    Status,
)

KillReason = Literal["timeout", "cancelled", "shutdown"]


@dataclass(frozen=True)
class CallOutcome:
    """What a finished compute call returns through its future.

    Example:
        ```python
        outcome = get_pool().submit(sum, ([1, 2, 3],)).result()
        print(outcome.value, outcome.processor, outcome.ended_at - outcome.started_at)
        ```
    """

    value: Any
    """The function's return value."""
    processor: int
    """The core the worker is pinned to (its slot index where pinning is not possible)."""
    pid: int
    """The worker's process id."""
    started_at: float
    """`time.time()` in the worker right before the function was called."""
    ended_at: float
    """`time.time()` in the worker right after it returned or raised."""


class RemoteTraceback(Exception):  # noqa: N818 -- named like CPython's _RemoteTraceback
    """The worker-side traceback, chained as `__cause__` of an exception re-raised in the parent.

    Also says where and when the failed call ran (`pid`, `processor`, `started_at`,
    `ended_at`), which the exception itself cannot carry.
    """

    def __init__(
        self,
        text: str,
        pid: int | None = None,
        processor: int | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
    ) -> None:
        """Keep the traceback text and where the call ran."""
        super().__init__(text)
        self.text = text
        self.pid = pid
        self.processor = processor
        self.started_at = started_at
        self.ended_at = ended_at

    def __str__(self) -> str:
        """Render as the traceback, framed so it reads as the remote part."""
        return f'\n"""\n{self.text.rstrip()}\n"""'


class RemoteCallError(LLMOrchError):
    """A tool raised an exception that cannot be re-created in the parent.

    Raised instead of exceptions that do not unpickle and of `SystemExit` / `KeyboardInterrupt`
    from a tool, which must not stop the caller. The message is `"Type: message"`.
    """


class _State(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class _Job:
    """A call in the parent: queued, then running on one worker. Holds the future."""

    future: Future[CallOutcome]
    name: str
    fn_digest: bytes
    fn_pickle: Buffer
    args_pickle: Buffer
    timeout: float | None
    call_id: int
    on_start: Callable[[int, int], None] | None = None
    state: _State = _State.QUEUED
    worker: _Worker | None = None
    priority: float = 0.0
    ticket: Ticket | None = None
    """Its request for a machine-wide slot, while it waits for one."""
    slot: Slot | None = None
    """The machine-wide slot it holds from the grant until it ends or is dropped."""


@dataclass(eq=False)
class _Worker:
    """The parent's handle on one worker slot: its process, handler thread and current job."""

    slot: int
    core: int | None
    known: LRUCache[bytes, bool] = field(default_factory=lambda: LRUCache(FUNCTION_CACHE_SIZE))
    proc: subprocess.Popen[bytes] | None = None
    pid: int | None = None
    processor: int = 0
    job: _Job | None = None
    kill_reason: KillReason | None = None
    thread: threading.Thread | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    start_error: BaseException | None = None


# (priority, seq, job); a job of None tells a handler thread to stop
_QueueItem = tuple[float, int, _Job | None]


# --- outcomes -----------------------------------------------------------------------------


def _decode(
    reply: Reply, job: _Job, pid: int, processor: int
) -> tuple[CallOutcome | None, BaseException | None]:
    """Turn a reply into the future's result or exception."""
    if reply.status is Status.OK:
        try:
            value = cloudpickle.loads(reply.payload)
        except Exception as exc:
            msg = f"the result of {job.name} could not be unpickled here: {exc}"
            return None, _chain(UnpicklableCallError(msg), exc)
        return CallOutcome(value, processor, pid, reply.started_at, reply.ended_at), None
    cause = RemoteTraceback(reply.traceback, pid, processor, reply.started_at, reply.ended_at)
    return None, _chain(_remote_error(reply, job), cause)


def _remote_error(reply: Reply, job: _Job) -> Exception:
    if reply.status is Status.RAISED:
        error: object = None
        with contextlib.suppress(Exception):
            error = cloudpickle.loads(reply.payload) if reply.payload else None
        if isinstance(error, Exception):
            return error
        return RemoteCallError(reply.summary)  # unpicklable, or SystemExit and the like
    if reply.status is Status.RESULT_UNSENDABLE:
        msg = f"the result of {job.name} cannot be sent back: {reply.summary}"
        return UnpicklableCallError(msg)
    msg = (
        f"{job.name} could not be loaded in the worker: {reply.summary}. Functions pickled by "
        "reference must be importable in a fresh interpreter; for a module made at run time, "
        "call cloudpickle.register_pickle_by_value(module)."
    )
    return UnpicklableCallError(msg)


def _chain(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


def _death_error(
    reason: KillReason | None, job: _Job, pid: int, returncode: int | None
) -> BaseException | None:
    if reason == "cancelled":
        return None  # the future is already cancelled
    if reason == "timeout":
        msg = f"{job.name} ran past its {job.timeout:g} s timeout; worker {pid} was killed"
        return CallTimeoutError(msg)
    if reason == "shutdown":
        return BrokenPoolError(f"the pool shut down while {job.name} was running")
    how = f"exit code {returncode}"
    if returncode is not None and returncode < 0:
        with contextlib.suppress(ValueError):
            how = f"killed by {signal.Signals(-returncode).name}"
    return WorkerCrashedError(f"worker {pid} died ({how}) while running {job.name}")


def _settle(
    future: Future[CallOutcome],
    result: CallOutcome | None = None,
    error: BaseException | None = None,
) -> None:
    """Set the future's outcome unless it is already done (say, cancelled meanwhile)."""
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        elif result is not None:
            future.set_result(result)
