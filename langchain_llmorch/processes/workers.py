"""The parent's side of the pool's worker processes: handler threads, kills and the watchdog.

`_PoolWorkers` is the part of `processes.pool.ProcessPool` that runs on the handler
threads (one per worker, see the diagram in `processes.pool`): it takes jobs from the
pool's queue, sends them to its worker, settles their futures, and spawns, reaps and restarts
the worker process. The timeout watchdog and cancelled futures only kill a worker; its handler
thread notices the end of file and does the rest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.records import (
    CallOutcome,
    _death_error,
    _decode,
    _Job,
    _QueueItem,
    _settle,
    _State,
    _Worker,
)
from langchain_llmorch.processes.slots import SlotGroup
from langchain_llmorch.processes.worker_main import (
    FUNCTION_CACHE_SIZE,
    ONE_THREAD_ENV,
    PIPE_SIZE,
    LRUCache,
    Reply,
    Request,
    Status,
    recv_frame,
    send_frame,
)

if sys.platform == "linux":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future
    from queue import PriorityQueue

# The records of worker restarts keep the pool's logger name, as before the module was split.
logger = logging.getLogger("langchain_llmorch.processes.pool")

_STARTUP_TIMEOUT = 60.0  # a cold interpreter on a loaded machine takes seconds; a minute is broken
_WORKER_SCRIPT = Path(__file__).with_name("worker_main.py")


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


class _PoolWorkers:
    """The handler threads and worker processes of a `ProcessPool` (its base class).

    `ProcessPool.__init__` sets the state declared here; `_lock` guards job states, the
    counters, kill reasons and `worker.proc`.
    """

    _queue: PriorityQueue[_QueueItem]
    _lock: threading.Lock
    _shut: bool
    _n_queued: int
    _n_running: int
    _watchdog: _Watchdog
    _slots: SlotGroup | None
    _wanting: set[_Job]

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
                self._drop_slot(job)
                _settle(job.future, error=claimed)
            elif claimed:
                self._run(worker, job)
            else:  # cancelled after it got its slot
                self._drop_slot(job)
        self._retire(worker)

    def _drop_slot(self, job: _Job) -> None:
        """Give back the job's machine-wide slot, or withdraw its request for one."""
        with self._lock:
            slot, job.slot = job.slot, None
            ticket, job.ticket = job.ticket, None
            self._wanting.discard(job)
        if self._slots is not None:
            if ticket is not None:
                self._slots.cancel(ticket)
            if slot is not None:
                self._slots.release(slot)

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
        if job.on_start is not None:
            try:
                job.on_start(worker.pid or 0, worker.processor)
            except Exception:  # a listener's bug must not lose the call
                logger.exception("on_start callback of %s failed", job.name)
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
        self._drop_slot(job)  # before the caller hears of it, and before any restart
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
            waiting = job.state is _State.QUEUED and job in self._wanting
            if job.state is _State.QUEUED:
                job.state = _State.CANCELLED
                self._n_queued -= 1
            elif job.worker is not None and job.worker.kill_reason is None:
                job.worker.kill_reason = "cancelled"
                self._kill_locked(job.worker)
        if waiting:  # still waiting for a slot: withdraw (a grant racing this is given back)
            self._drop_slot(job)
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
    # e.g. imported from a zip
    return [sys.executable, "-m", "langchain_llmorch.processes.worker_main"]


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
