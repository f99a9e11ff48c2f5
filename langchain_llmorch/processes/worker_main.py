"""The worker side of the compute pool, and the wire format both sides share.

A worker is a fresh interpreter that runs one call at a time. `langchain_llmorch.processes.pool`
starts it with `python -P <this file>` (fork+exec, safe from a threaded parent); run that
way it imports only the standard library, cloudpickle and psutil, never the package's
`__init__` (LangGraph alone costs about a second and 60 MB per worker) and never the user's
`__main__`. `python -m langchain_llmorch.processes.worker_main` works too.

Wire format: a *frame* is a 4-byte part count, one 8-byte length per part, then the parts.
Records travel as plain tuples (`pickle` of builtins only), so neither side needs the other's
classes; function, arguments and results are cloudpickle bytes inside the parts.

    parent                                       worker
      | hello:  (sys.path, core, slot, mark)  -->  set sys.path, pin to core, map `mark`
      |         (pid, processor)         <------   ready
      | Request (call_id, digest, fn?, args) --->  reader thread -> inbox -> main thread
      |                                            writes call_id + 1 into `mark`, then
      |         Reply (status, value, ...)  <---   runs fn(*args, **kwargs)

`mark` is a small file both sides map (`STARTED_SIZE` bytes): the worker writes a call's id
there just before it runs the call, a store to shared memory that costs no system call and
outlives the worker. When the worker dies without a reply, the parent reads it: a call whose
id is not there never started, and can go to another worker.

The protocol runs on private duplicates of fds 0 and 1: fd 0 becomes /dev/null and fd 1
becomes stderr, so a tool's `print()` or `input()` cannot corrupt it. A reader thread owns
the input: when the parent goes away (EOF) it kills the worker's process group at once, even
in the middle of a call, so no worker outlives its parent.
"""

from __future__ import annotations

import mmap
import os
import pickle
import signal
import struct
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from enum import IntEnum
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import cloudpickle
import psutil

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ONE_THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
"""Thread-count variables of numeric libraries, set to 1: one compute call is one processor."""

FUNCTION_CACHE_SIZE = 256
"""Functions kept unpickled per worker. An agent has few tools, but a closure over per-call
values pickles to new bytes each time, so the cache is bounded to bound memory."""

PIPE_SIZE = 1 << 20
"""Pipe capacity asked for (Linux): big arguments cross in fewer wake-ups than with the 64 KiB
default; 1 MiB is the most an unprivileged process may ask for by default."""

STARTED_SIZE = 8
"""Bytes of the shared `mark` file: the id (+ 1) of the call the worker last started."""
_STARTED = struct.Struct("!q")


def started_call(mark: Any) -> int | None:
    """The id of the call a worker last started, from its mapped `mark`; `None`: none yet."""
    (value,) = _STARTED.unpack_from(mark, 0)
    return int(value) - 1 if value > 0 else None


def _mark_started(mark: Any, call_id: int) -> None:
    _STARTED.pack_into(mark, 0, call_id + 1)


_COUNT = struct.Struct("!I")
_LENGTH = struct.Struct("!Q")
_SMALL_READ = 1 << 16  # up to this size one os.read usually gets a whole part; beyond, readv

Buffer = bytes | bytearray
"""A frame part: bytes we made, or a bytearray read from a pipe without another copy."""

K = TypeVar("K")
V = TypeVar("V")


class Status(IntEnum):
    """How a call ended, as sent back in a `Reply`."""

    OK = 0
    """`payload` is the cloudpickled return value."""
    RAISED = 1
    """The function raised; `payload` is the cloudpickled exception (empty if it won't pickle)."""
    LOAD_FAILED = 2
    """The function or its arguments could not be unpickled in the worker."""
    RESULT_UNSENDABLE = 3
    """The function returned a value that cannot be pickled."""
    MISSING_FUNCTION = 4
    """The request named a function by digest that this worker does not hold: send the bytes."""


@dataclass(frozen=True)
class Request:
    """A call on the wire, parent -> worker: the function (or its digest) and plain arguments."""

    call_id: int
    fn_digest: bytes
    fn_pickle: Buffer
    """cloudpickle of the function; empty when the worker already caches `fn_digest`."""
    args_pickle: Buffer
    """cloudpickle of `(args, kwargs)`."""

    def to_parts(self) -> list[Buffer]:
        """Encode as frame parts."""
        meta = pickle.dumps((self.call_id, self.fn_digest), pickle.HIGHEST_PROTOCOL)
        return [meta, self.fn_pickle, self.args_pickle]

    @classmethod
    def from_parts(cls, parts: Sequence[Buffer]) -> Request:
        """Decode frame parts made by `to_parts`."""
        call_id, fn_digest = pickle.loads(parts[0])  # noqa: S301 -- our own parent's bytes
        return cls(call_id, fn_digest, parts[1], parts[2])


@dataclass(frozen=True)
class Reply:
    """A call coming back, worker -> parent: value or exception, with the remote traceback."""

    call_id: int
    status: Status
    payload: Buffer = b""
    started_at: float = 0.0
    """`time.time()` right before the function was called."""
    ended_at: float = 0.0
    """`time.time()` right after it returned or raised."""
    traceback: str = ""
    """The formatted remote traceback when something failed."""
    summary: str = ""
    """`"ValueError: message"`, for when the exception itself does not survive the trip."""

    def to_parts(self) -> list[Buffer]:
        """Encode as frame parts."""
        meta = (
            self.call_id,
            int(self.status),
            self.started_at,
            self.ended_at,
            self.traceback,
            self.summary,
        )
        return [pickle.dumps(meta, pickle.HIGHEST_PROTOCOL), self.payload]

    @classmethod
    def from_parts(cls, parts: Sequence[Buffer]) -> Reply:
        """Decode frame parts made by `to_parts`."""
        call_id, status, started, ended, tb, summary = pickle.loads(parts[0])  # noqa: S301
        return cls(call_id, Status(status), parts[1], started, ended, tb, summary)


class LRUCache(Generic[K, V]):
    """A small least-recently-used map (the worker's functions, the parent's mirror of them)."""

    def __init__(self, size: int) -> None:
        """Keep at most `size` entries."""
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """Return the value for `key` (marking it recently used), or `None`."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store `value`, evicting the least recently used entry when full."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def discard(self, key: K) -> None:
        """Forget `key` if present."""
        self._items.pop(key, None)


def send_frame(fd: int, parts: Sequence[Buffer]) -> None:
    """Write one frame to `fd`, looping over partial writes."""
    header = _COUNT.pack(len(parts)) + b"".join(_LENGTH.pack(len(p)) for p in parts)
    views = [memoryview(header)] + [memoryview(p) for p in parts if p]
    if not hasattr(os, "writev"):  # Windows: one buffer, written in a loop
        views = [memoryview(b"".join(views))]
    while views:
        written = os.writev(fd, views) if len(views) > 1 else os.write(fd, views[0])
        while written:
            if written >= len(views[0]):
                written -= len(views.pop(0))
            else:
                views[0] = views[0][written:]
                written = 0


def recv_frame(fd: int) -> list[Buffer]:
    """Read one frame from `fd`; raise `EOFError` if the other side closed the pipe."""
    (count,) = _COUNT.unpack(_read_exact(fd, _COUNT.size))
    lengths = struct.unpack(f"!{count}Q", _read_exact(fd, _LENGTH.size * count))
    return [_read_exact(fd, n) if n else b"" for n in lengths]


def _read_exact(fd: int, size: int) -> Buffer:
    if size <= _SMALL_READ:
        chunk = os.read(fd, size)
        if len(chunk) == size:  # the common case: a small part that arrived whole
            return chunk
        if not chunk:
            raise EOFError(_CLOSED)
        buffer = bytearray(size)
        buffer[: len(chunk)] = chunk
        got = len(chunk)
    else:
        buffer, got = bytearray(size), 0
    view = memoryview(buffer)
    while got < size:  # read straight into place: no chunk objects, no joins
        if hasattr(os, "readv"):
            n = os.readv(fd, [view[got:]])
        else:  # Windows
            chunk = os.read(fd, size - got)
            n = len(chunk)
            view[got : got + n] = chunk
        if not n:
            raise EOFError(_CLOSED)
        got += n
    return buffer


_CLOSED = "the other end of the pipe is closed"


# --- the worker process ------------------------------------------------------------------


def main() -> None:
    """Serve calls from the parent on stdin/stdout until the parent goes away."""
    for name in ONE_THREAD_ENV:  # before any numeric library is imported by a tool
        os.environ[name] = "1"
    proto_in, proto_out = _claim_std_streams()
    sys_path, core, slot, mark_path = pickle.loads(recv_frame(proto_in)[0])  # noqa: S301
    sys.path[:] = sys_path  # so functions pickled by reference import as in the parent
    processor = _pin(core, slot)
    mark = None
    if mark_path is not None:  # the mapping outlives the open file (and its name)
        with open(mark_path, "r+b") as file:  # noqa: PTH123 -- the worker imports no pathlib
            mark = mmap.mmap(file.fileno(), STARTED_SIZE)
    send_frame(proto_out, [pickle.dumps((os.getpid(), processor))])

    inbox: SimpleQueue[list[Buffer]] = SimpleQueue()
    reader = threading.Thread(
        target=_read_requests, args=(proto_in, inbox), name="llmorch-worker-reader", daemon=True
    )
    reader.start()
    functions: LRUCache[bytes, Callable[..., Any]] = LRUCache(FUNCTION_CACHE_SIZE)
    while True:
        reply = _serve(Request.from_parts(inbox.get()), functions, mark)
        try:
            send_frame(proto_out, reply.to_parts())
        except OSError:  # the parent is gone
            _die()


def _claim_std_streams() -> tuple[int, int]:
    """Move the protocol to private fds; point fd 0 at /dev/null and fd 1 at stderr."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # stdout was a pipe (block-buffered): show prints promptly
        reconfigure(line_buffering=True)
    return proto_in, proto_out


def _pin(core: int | None, slot: int) -> int:
    """Pin this process to `core`; return the core, or the slot index if pinning failed."""
    if core is None:
        return slot
    try:
        psutil.Process().cpu_affinity([core])
    except (AttributeError, OSError, ValueError, psutil.Error):  # macOS, or not allowed
        return slot
    return core


def _read_requests(proto_in: int, inbox: SimpleQueue[list[Buffer]]) -> None:
    try:
        while True:
            inbox.put(recv_frame(proto_in))
    except (EOFError, OSError):
        _die()


def _die() -> None:
    """Exit now, taking the processes a tool started along (they share our group)."""
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os._exit(0)


def _serve(
    request: Request, functions: LRUCache[bytes, Callable[..., Any]], mark: Any = None
) -> Reply:
    call_id = request.call_id
    fn = functions.get(request.fn_digest)
    try:
        if fn is None:
            if not request.fn_pickle:
                return Reply(call_id, Status.MISSING_FUNCTION)
            fn = cloudpickle.loads(request.fn_pickle)
            functions.put(request.fn_digest, fn)
        args, kwargs = cloudpickle.loads(request.args_pickle)
    except BaseException as exc:
        return _failure(call_id, Status.LOAD_FAILED, exc)
    _limit_opencv_threads()
    if mark is not None:  # from here on the call counts as started (see the module's docstring)
        _mark_started(mark, call_id)
    started_at = time.time()
    try:
        value = fn(*args, **kwargs)
    except BaseException as exc:
        ended_at = time.time()
        try:
            payload = cloudpickle.dumps(exc)
        except BaseException:
            payload = b""
        return _failure(
            call_id, Status.RAISED, exc, payload=payload, started_at=started_at, ended_at=ended_at
        )
    ended_at = time.time()
    _limit_opencv_threads()  # the call may have imported it
    try:
        payload = cloudpickle.dumps(value)
    except BaseException as exc:
        return _failure(
            call_id, Status.RESULT_UNSENDABLE, exc, started_at=started_at, ended_at=ended_at
        )
    return Reply(call_id, Status.OK, payload, started_at, ended_at)


def _failure(
    call_id: int,
    status: Status,
    exc: BaseException,
    *,
    payload: bytes = b"",
    started_at: float = 0.0,
    ended_at: float = 0.0,
) -> Reply:
    text = "".join(traceback.format_exception(exc))
    summary = f"{type(exc).__qualname__}: {exc}"
    return Reply(call_id, status, payload, started_at, ended_at, text, summary)


_opencv_limited = False


def _limit_opencv_threads() -> None:
    """OpenCV ignores OMP_NUM_THREADS: once a tool has imported it, set its pool to 1."""
    global _opencv_limited  # noqa: PLW0603 -- a once-per-process flag
    if not _opencv_limited and "cv2" in sys.modules:
        set_threads = getattr(sys.modules["cv2"], "setNumThreads", None)
        if set_threads is not None:
            set_threads(1)
        _opencv_limited = True


if __name__ == "__main__":
    main()
