"""The CPU-bounded worker pool: at most P compute calls run at once, machine-wide.

How a compute call flows (one pool per process, shared by every agent and run in it):

    callers (threads, event loops)      parent process                      worker processes
    ------------------------------      --------------                      ----------------
    submit(fn, args, priority)
      | cloudpickle fn and args HERE:
      | unpicklable -> UnpicklableCallError, no slot taken
      v
    +------------------------+  get  +------------------+  Request  +--------------------+
    | _queue: PriorityQueue  |------>| handler thread 0 |---------->| worker 0 on core 0 |
    | of (priority, seq,     |       | one call at a    |<----------| python -P          |
    |     _Job)              |       | time, waits for  |   Reply   |   _worker.py       |
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

Who touches what: `submit` puts jobs on `_queue` and every handler thread takes them from it;
handler i alone owns worker i's pipes, reaps it and restarts it. Other threads never touch a
pipe, they only kill. A worker that dies with no kill reason recorded crashed:
`WorkerCrashedError`.

A future stays cancellable while its call runs (it is never set "running"): cancelling it
(`future.cancel()`, `abort()`, or cancelling an `asyncio.wrap_future` of it) kills the worker.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import math
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from itertools import count
from pathlib import Path
from queue import Empty, PriorityQueue
from typing import TYPE_CHECKING, Any, Literal, Self

import cloudpickle
import psutil

from langchain_llmorch._worker import (
    FUNCTION_CACHE_SIZE,
    ONE_THREAD_ENV,
    PIPE_SIZE,
    Buffer,
    LRUCache,
    Reply,
    Request,
    Status,
    recv_frame,
    send_frame,
)
from langchain_llmorch.errors import (
    BrokenPoolError,
    CallTimeoutError,
    LLMOrchError,
    UnpicklableCallError,
    WorkerCrashedError,
)

if sys.platform == "linux":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

logger = logging.getLogger(__name__)

MAX_PROCESSORS_ENV = "LLMORCH_MAX_PROCESSORS"
"""Environment variable that overrides `usable_cpus()`."""

_STARTUP_TIMEOUT = 60.0  # a cold interpreter on a loaded machine takes seconds; a minute is broken
_WORKER_SCRIPT = Path(__file__).with_name("_worker.py")

KillReason = Literal["timeout", "cancelled", "shutdown"]


# --- how many processors ------------------------------------------------------------------


def usable_cpus() -> int:
    """Return how many processors this process may use for compute calls.

    The minimum of the CPU count, the CPU affinity, the cgroup CPU quota (rounded up) and the
    number of physical cores when known. `LLMORCH_MAX_PROCESSORS` overrides all of them.

    Returns:
        At least 1.

    Raises:
        ValueError: `LLMORCH_MAX_PROCESSORS` is set but is not a positive integer.

    Example:
        ```python
        from langchain_llmorch._pool import usable_cpus

        print(usable_cpus())  # e.g. 2 in a 2-core container on a 64-core host
        ```
    """
    override = os.environ.get(MAX_PROCESSORS_ENV, "").strip()
    if override:
        try:
            value = int(override)
        except ValueError:
            value = 0
        if value < 1:
            msg = f"{MAX_PROCESSORS_ENV} must be a positive integer, not {override!r}"
            raise ValueError(msg)
        return value
    counts = [os.cpu_count() or 1]
    affinity = _affinity()
    if affinity:
        counts.append(len(affinity))
    quota = cgroup_cpu_quota()
    if quota is not None:
        counts.append(quota)
    physical: int | None = psutil.cpu_count(logical=False)
    if physical:
        counts.append(physical)
    return max(1, min(counts))


def _affinity() -> list[int]:
    """The cores this process may run on, sorted; empty if the OS does not say."""
    cpus: list[int] = []
    with contextlib.suppress(AttributeError, OSError, psutil.Error):  # no affinity on macOS
        cpus = list(psutil.Process().cpu_affinity())
    if not cpus and hasattr(os, "sched_getaffinity"):
        cpus = list(os.sched_getaffinity(0))
    return sorted(cpus)


def cgroup_cpu_quota(
    root: Path = Path("/sys/fs/cgroup"), self_cgroup: Path = Path("/proc/self/cgroup")
) -> int | None:
    """Return the CPU quota of this process's cgroup (v2 `cpu.max` or v1 CFS), rounded up.

    Looks at the process's own cgroup and its ancestors, and at the mount root (inside a
    container the root is the container's cgroup). `None` when there is no quota.
    """
    dirs = [root, root / "cpu", root / "cpu,cpuacct"]
    with contextlib.suppress(OSError):
        for line in self_cgroup.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            base = root if not controllers else root / controllers
            here = base / path.lstrip("/")
            while here != base and base in here.parents:
                dirs.append(here)
                here = here.parent
    quotas = [q for d in dirs if (q := _read_quota(d)) is not None]
    return min(quotas) if quotas else None


def _read_quota(directory: Path) -> int | None:
    try:
        if (directory / "cpu.max").is_file():  # v2: "max 100000" or "150000 100000"
            quota, _, period = (directory / "cpu.max").read_text().strip().partition(" ")
        else:  # v1: cpu.cfs_quota_us is -1 when unlimited
            quota = (directory / "cpu.cfs_quota_us").read_text().strip()
            period = (directory / "cpu.cfs_period_us").read_text().strip()
        if quota in {"max", "-1"}:
            return None
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):
        return None


# --- records ------------------------------------------------------------------------------


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
    state: _State = _State.QUEUED
    worker: _Worker | None = None


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


class _Watchdog:
    """One thread per pool that kills calls running past their timeout (started when needed).

    A worker runs one call at a time, so it holds at most one deadline.
    """

    def __init__(self, expire: Callable[[_Worker, _Job], None]) -> None:
        self._expire = expire
        self._cond = threading.Condition()  # taken before the pool's lock, never after
        self._deadlines: dict[_Worker, tuple[float, _Job]] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, worker: _Worker, job: _Job, timeout: float) -> None:
        with self._cond:
            self._deadlines[worker] = (time.monotonic() + timeout, job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="llmorch-pool-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def disarm(self, worker: _Worker) -> None:
        with self._cond:
            self._deadlines.pop(worker, None)

    def stop(self) -> None:
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
                        self._expire(worker, job)
                nearest = min((d for d, _ in self._deadlines.values()), default=None)
                self._cond.wait(None if nearest is None else nearest - now)


# (priority, seq, job); a job of None tells a handler thread to stop
_QueueItem = tuple[float, int, _Job | None]


# --- the pool -----------------------------------------------------------------------------


class ProcessPool:
    """P worker processes, one call each at a time, fed from one priority queue.

    Example:
        ```python
        from langchain_llmorch._pool import ProcessPool

        with ProcessPool(2) as pool:
            outcome = pool.submit(pow, (2, 10), priority=1.0, timeout=5).result()
            print(outcome.value, outcome.pid, outcome.processor)
        ```
    """

    def __init__(self, processors: int) -> None:
        """Make a pool of `processors` workers; they start on `start()` or the first submit."""
        if isinstance(processors, bool) or not isinstance(processors, int) or processors < 1:
            msg = f"processors must be a positive integer, not {processors!r}"
            raise ValueError(msg)
        self._processors = processors
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
    ) -> Future[CallOutcome]:
        """Queue `fn(*args, **kwargs)` for a worker and return its future.

        Args:
            fn: the function; pickled with cloudpickle, so lambdas, closures and functions
                of `__main__` or a notebook work.
            args: positional arguments.
            kwargs: keyword arguments.
            priority: lower runs first when calls wait for a worker; ties run in submit order.
            timeout: seconds the call may run before it is killed with its worker.

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
        )
        future.add_done_callback(partial(self._on_future_done, job))
        with self._lock:
            if self._shut:
                msg = "the pool was shut down; get a new one with get_pool()"
                raise BrokenPoolError(msg)
            self._n_queued += 1
            self._queue.put((priority, job.call_id, job))
        return future

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
                for worker in self._workers:
                    worker.kill_reason = worker.kill_reason or "shutdown"
                    self._kill_locked(worker)
        if first:
            self._watchdog.stop()
            _live_pools.discard(self)
            for job in doomed:
                _settle(job.future, error=BrokenPoolError("the pool shut down before the call ran"))
            for _ in self._workers:
                self._queue.put((-math.inf, next(self._seq), None))
        if wait:
            for worker in self._workers:
                if worker.thread is not None and worker.thread is not threading.current_thread():
                    worker.thread.join()

    # --- handler thread, one per worker ----------------------------------------------------

    def _handle(self, worker: _Worker) -> None:
        try:
            self._spawn(worker)
        except BaseException as exc:
            worker.start_error = exc
            return
        finally:
            worker.ready.set()
        while True:
            _, _, job = self._queue.get()
            if job is None:
                break
            if not self._alive(worker) and not self._shut:  # died while idle
                self._restart(worker, "died while idle")
            claimed = self._claim(worker, job)
            if isinstance(claimed, BrokenPoolError):
                _settle(job.future, error=claimed)
            elif claimed:
                self._run(worker, job)
        self._retire(worker)

    def _claim(self, worker: _Worker, job: _Job) -> bool | BrokenPoolError:
        """Make `job` the worker's call; False if it was cancelled, an error if it can't run."""
        with self._lock:
            if job.state is not _State.QUEUED:
                return False
            self._n_queued -= 1
            if self._shut or worker.proc is None:
                job.state = _State.DONE
                why = "the pool shut down" if self._shut else "its worker could not be restarted"
                return BrokenPoolError(f"{job.name} did not run: {why}")
            job.state, job.worker = _State.RUNNING, worker
            worker.job, worker.kill_reason = job, None
            self._n_running += 1
            return True

    def _run(self, worker: _Worker, job: _Job) -> None:
        if job.timeout is not None:
            self._watchdog.arm(worker, job, job.timeout)
        try:
            reply: Reply | None = self._exchange(worker, job)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):  # died or garbled
            reply = None
        finally:
            if job.timeout is not None:
                self._watchdog.disarm(worker)
            job.fn_pickle = job.args_pickle = b""  # the caller's future keeps the job alive
        with self._lock:
            job.state, job.worker = _State.DONE, None
            worker.job = None
            self._n_running -= 1
            reason = worker.kill_reason
        pid, processor = worker.pid or 0, worker.processor
        if reply is not None:
            _settle(job.future, *_decode(reply, job, pid, processor))
        if reply is None or reason is not None:
            returncode = self._retire(worker)
            if reply is None:
                _settle(job.future, error=_death_error(reason, job, pid, returncode))
            if not self._shut:
                why = f"was killed ({reason})" if reason else f"crashed running {job.name}"
                self._restart(worker, why)

    def _exchange(self, worker: _Worker, job: _Job) -> Reply:
        assert worker.proc is not None
        to_worker, from_worker = _fds(worker.proc)
        known = worker.known.get(job.fn_digest) is not None
        request = Request(
            job.call_id, job.fn_digest, b"" if known else job.fn_pickle, job.args_pickle
        )
        send_frame(to_worker, request.to_parts())
        reply = Reply.from_parts(recv_frame(from_worker))
        if reply.status is Status.MISSING_FUNCTION:  # its cache evicted it: send the bytes
            request = Request(job.call_id, job.fn_digest, job.fn_pickle, job.args_pickle)
            send_frame(to_worker, request.to_parts())
            reply = Reply.from_parts(recv_frame(from_worker))
        if reply.call_id != job.call_id:
            raise EOFError("the worker answered another call")
        if reply.status is Status.LOAD_FAILED:
            worker.known.discard(job.fn_digest)
        else:
            worker.known.put(job.fn_digest, True)  # noqa: FBT003 -- a set, spelled as a map
        return reply

    def _expire(self, worker: _Worker, job: _Job) -> None:
        with self._lock:
            if worker.job is job and worker.kill_reason is None:
                worker.kill_reason = "timeout"
                self._kill_locked(worker)

    def _on_future_done(self, job: _Job, future: Future[CallOutcome]) -> None:
        if not future.cancelled():
            return
        with self._lock:
            if job.state is _State.QUEUED:
                job.state = _State.CANCELLED
                self._n_queued -= 1
            elif job.worker is not None and job.worker.kill_reason is None:
                job.worker.kill_reason = "cancelled"
                self._kill_locked(job.worker)
        future.set_running_or_notify_cancel()  # wakes concurrent.futures.wait() and friends

    # --- worker processes (spawned and reaped by their handler thread only) -----------------

    def _spawn(self, worker: _Worker) -> None:
        if not sys.executable:
            raise BrokenPoolError("sys.executable is unknown: cannot start worker processes")
        env = {**os.environ, **dict.fromkeys(ONE_THREAD_ENV, "1")}
        proc = subprocess.Popen(  # noqa: S603 -- our own interpreter running our own module
            _worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,
            close_fds=True,
            start_new_session=True,  # own process group: Ctrl-C goes to the parent, kill the group
        )
        with self._lock:
            worker.proc = proc
            if self._shut:
                self._kill_locked(worker)
        timer = threading.Timer(_STARTUP_TIMEOUT, _kill_tree, (proc,))
        timer.daemon = True
        timer.start()
        try:
            to_worker, from_worker = _fds(proc)
            if sys.platform == "linux":
                for fd in (to_worker, from_worker):
                    with contextlib.suppress(OSError):  # only a hint; the default works too
                        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
            send_frame(to_worker, [pickle.dumps((sys.path, worker.core, worker.slot))])
            pid, processor = pickle.loads(recv_frame(from_worker)[0])  # noqa: S301
        except (OSError, EOFError) as exc:
            self._retire(worker)
            msg = f"worker {worker.slot} exited during start-up (see its stderr above)"
            raise BrokenPoolError(msg) from exc
        finally:
            timer.cancel()
        worker.pid, worker.processor = pid, processor
        worker.known = LRUCache(FUNCTION_CACHE_SIZE)

    def _restart(self, worker: _Worker, why: str) -> None:
        logger.info("llmorch worker %s %s; starting a new one", worker.pid, why)
        self._retire(worker)
        try:
            self._spawn(worker)
        except BaseException:
            if not self._shut:
                logger.exception("could not restart llmorch worker %s", worker.slot)

    def _retire(self, worker: _Worker) -> int | None:
        """Kill and reap the worker's process (if any); return its exit code."""
        with self._lock:
            proc, worker.proc, worker.pid = worker.proc, None, None
        if proc is None:
            return None
        if proc.returncode is None:  # not reaped yet, so its pid cannot have been reused
            _kill_tree(proc)  # an exited process keeps its exit code; this ends stragglers
        returncode = proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        return returncode

    def _alive(self, worker: _Worker) -> bool:
        with self._lock:  # poll() reaps: keep it away from _kill_locked
            return worker.proc is not None and worker.proc.poll() is None

    def _kill_locked(self, worker: _Worker) -> None:
        if worker.proc is not None and worker.proc.returncode is None:
            _kill_tree(worker.proc)


def _worker_command() -> list[str]:
    if _WORKER_SCRIPT.is_file():  # -P: do not put the package directory on sys.path
        return [sys.executable, "-P", str(_WORKER_SCRIPT)]
    return [sys.executable, "-m", "langchain_llmorch._worker"]  # e.g. imported from a zip


def _fds(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    if proc.stdin is None or proc.stdout is None:
        raise BrokenPoolError("worker pipes are closed")
    return proc.stdin.fileno(), proc.stdout.fileno()


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and whatever it started (its process group).

    Callers make sure `proc` is not reaped yet, so its pid cannot belong to another process.
    """
    if not hasattr(os, "killpg"):  # Windows
        with contextlib.suppress(OSError):
            proc.kill()
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:  # not a group leader after all: kill the worker alone
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGKILL)


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


# --- the process-wide pools ---------------------------------------------------------------

_pools: dict[int, ProcessPool] = {}
_pools_lock = threading.Lock()
_live_pools: set[ProcessPool] = set()


def get_pool(processors: int | None = None) -> ProcessPool:
    """Return the process-wide pool, started warm on first use.

    Every agent and run in the process shares it, so the bound of P concurrent compute calls
    is machine-wide. Pools are cached by size: asking for another size returns a separate pool
    of that size (the two then share the machine without a common bound). A pool that was
    shut down is replaced by a new one. All pools are shut down at interpreter exit.

    Args:
        processors: number of workers; `None` means `usable_cpus()`.

    Example:
        ```python
        from langchain_llmorch._pool import get_pool

        pool = get_pool()
        assert get_pool() is pool
        print(pool.submit(max, (3, 7)).result().value)
        ```
    """
    size = usable_cpus() if processors is None else processors
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None or pool._shut:  # noqa: SLF001 -- same module
            pool = _pools[size] = ProcessPool(size)
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
