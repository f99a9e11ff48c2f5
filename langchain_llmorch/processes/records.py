"""The records of a compute call in the parent: the queued `Job` and what it comes back as.

A call lives in three records (see the diagram in `processes.pool`): in the parent a `Job`,
which holds the caller's future; on the wire a `worker_main.Request` (function reference and
plain arguments) and a `worker_main.Reply` (value or exception, with the remote traceback).
`Job.settle_reply` turns a reply into the future's outcome: a `CallOutcome`, the tool's own
exception chained to a `RemoteTraceback`, or one of the pool's errors; `Job.settle_death`
does the same when the worker died instead of answering.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import signal
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

import cloudpickle

from langchain_llmorch.errors import (
    BrokenPoolError,
    CallTimeoutError,
    LLMOrchError,
    UnpicklableCallError,
    WorkerCrashedError,
)
from langchain_llmorch.processes.slots import Slot, Ticket
from langchain_llmorch.processes.worker_main import Buffer, Reply, Status

if TYPE_CHECKING:
    from langchain_llmorch.processes.handles import WorkerHandle

KillReason = Literal["timeout", "cancelled", "shutdown"]
"""Why the parent killed a worker; a worker that died with none recorded crashed."""


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


class JobState(Enum):
    """Where a `Job` is: waiting (for a slot, then a worker), on a worker, or finished."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Job:
    """A call in the parent: queued, then running on one worker. Holds the caller's future.

    The pool's lock guards `state`, `worker`, `ticket` and `slot`.
    """

    future: Future[CallOutcome]
    name: str
    fn_digest: bytes
    fn_pickle: Buffer
    args_pickle: Buffer
    timeout: float | None
    call_id: int
    on_start: Callable[[int, int], None] | None = None
    state: JobState = JobState.QUEUED
    worker: WorkerHandle | None = None
    priority: float = 0.0
    ticket: Ticket | None = None
    """Its request for a machine-wide slot, while it waits for one."""
    slot: Slot | None = None
    """The machine-wide slot it holds from the grant until it ends or is dropped."""

    @classmethod
    def create(
        cls,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        *,
        call_id: int,
        priority: float,
        timeout: float | None,
        on_start: Callable[[int, int], None] | None,
    ) -> Job:
        """Check and pickle a call, before it takes a slot, and give it a fresh future.

        Raises:
            UnpicklableCallError: `fn` or its arguments cannot be pickled.
            ValueError: `timeout` is not positive or `priority` is NaN.
        """
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
        return cls(
            future=Future(),
            name=name,
            fn_digest=hashlib.blake2b(fn_pickle, digest_size=16).digest(),
            fn_pickle=fn_pickle,
            args_pickle=args_pickle,
            timeout=timeout,
            call_id=call_id,
            on_start=on_start,
            priority=priority,
        )

    def settle(self, result: CallOutcome | None = None, error: BaseException | None = None) -> None:
        """Set the future's outcome unless it is already done (say, cancelled meanwhile)."""
        with contextlib.suppress(InvalidStateError):
            if error is not None:
                self.future.set_exception(error)
            elif result is not None:
                self.future.set_result(result)

    def settle_reply(self, reply: Reply, pid: int, processor: int) -> None:
        """Settle the future from the worker's reply: the value, or the error it stands for."""
        if reply.status is Status.OK:
            try:
                value = cloudpickle.loads(reply.payload)
            except Exception as exc:
                msg = f"the result of {self.name} could not be unpickled here: {exc}"
                self.settle(error=_chain(UnpicklableCallError(msg), exc))
                return
            self.settle(CallOutcome(value, processor, pid, reply.started_at, reply.ended_at))
            return
        cause = RemoteTraceback(reply.traceback, pid, processor, reply.started_at, reply.ended_at)
        self.settle(error=_chain(self._remote_error(reply), cause))

    def settle_death(self, reason: KillReason | None, pid: int, returncode: int | None) -> None:
        """Settle the future of a call whose worker died before answering."""
        if reason == "cancelled":
            return  # the future is already cancelled
        if reason == "timeout":
            msg = f"{self.name} ran past its {self.timeout:g} s timeout; worker {pid} was killed"
            self.settle(error=CallTimeoutError(msg))
            return
        if reason == "shutdown":
            self.settle(error=BrokenPoolError(f"the pool shut down while {self.name} was running"))
            return
        how = f"exit code {returncode}"
        if returncode is not None and returncode < 0:
            with contextlib.suppress(ValueError):
                how = f"killed by {signal.Signals(-returncode).name}"
        msg = f"worker {pid} died ({how}) while running {self.name}"
        self.settle(error=WorkerCrashedError(msg))

    def _remote_error(self, reply: Reply) -> Exception:
        if reply.status is Status.RAISED:
            error: object = None
            with contextlib.suppress(Exception):
                error = cloudpickle.loads(reply.payload) if reply.payload else None
            if isinstance(error, Exception):
                return error
            return RemoteCallError(reply.summary)  # unpicklable, or SystemExit and the like
        if reply.status is Status.RESULT_UNSENDABLE:
            msg = f"the result of {self.name} cannot be sent back: {reply.summary}"
            return UnpicklableCallError(msg)
        msg = (
            f"{self.name} could not be loaded in the worker: {reply.summary}. Functions pickled "
            "by reference must be importable in a fresh interpreter; for a module made at run "
            "time, call cloudpickle.register_pickle_by_value(module)."
        )
        return UnpicklableCallError(msg)


def _chain(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


__all__ = ["CallOutcome", "Job", "JobState", "KillReason", "RemoteCallError", "RemoteTraceback"]
