"""The parent's handles on its worker processes: one `WorkerHandle` each.

A `WorkerHandle` owns one worker process (`python -P worker_main.py`) and its handler thread
(see the diagram in `processes.pool`): the thread takes calls from the pool's `CallQueue`,
sends each to the worker, settles its future from the reply, and starts, reaps and restarts
the process. It is the only thread that starts, talks to or reaps the process; other threads
(a cancelled future, the `Watchdog`, `shutdown`) only kill it, holding the queue's lock, and
the handler thread notices the end of file and does the rest.

A call that provably never started (its worker had died) goes to a fresh worker, once;
how the handle tells is in `processes.delivery`.
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
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_llmorch.errors import BrokenPoolError
from langchain_llmorch.processes.delivery import NotDeliveredError, StartMark, deliver, receive
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
    from langchain_llmorch.processes.call_queue import CallQueue
    from langchain_llmorch.processes.records import Job, KillReason
    from langchain_llmorch.processes.watchdog import Watchdog

# The records of worker restarts keep the pool's logger name, as before the module was split.
logger = logging.getLogger("langchain_llmorch.processes.pool")

_STARTUP_TIMEOUT = 60.0  # a cold interpreter on a loaded machine takes seconds; a minute is broken
_WORKER_SCRIPT = Path(__file__).with_name("worker_main.py")


class WorkerHandle:
    """The parent's side of one worker process and its handler thread.

    It serves the calls of `calls`, whose lock also guards this handle's process, `job` and
    `kill_reason`; a process started once `calls` is closed is killed at once. `watchdog`
    kills calls that run past their timeout.

    Example:
        ```python
        worker = WorkerHandle(0, None, calls=calls, watchdog=watchdog)
        worker.start()  # the handler thread starts the process, then serves `calls`
        worker.ready.wait()
        print(worker.pid, worker.processor)
        ```
    """

    def __init__(
        self, slot: int, core: int | None, *, calls: CallQueue, watchdog: Watchdog
    ) -> None:
        """Make the handle of worker `slot`, to be pinned to `core`; `start()` starts it."""
        self.slot = slot
        self.core = core
        self.pid: int | None = None
        self.processor = 0
        """The core the worker is pinned to (its slot where pinning is not possible)."""
        self.job: Job | None = None
        """The call it runs now."""
        self.kill_reason: KillReason | None = None
        """Why the parent killed it during its current call (None: it was not killed)."""
        self.ready = threading.Event()
        """Set once the first start is over, successful or not."""
        self.start_error: BaseException | None = None
        """Why the first start failed (then the handler thread has ended)."""
        self._calls = calls
        self._lock = calls.lock
        self._watchdog = watchdog
        self._thread = threading.Thread(
            target=self._serve, name=f"llmorch-pool-{slot}", daemon=True
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._mark = StartMark()  # the process's `mark` (see `processes.delivery`)
        self._known: LRUCache[bytes, bool] = LRUCache(FUNCTION_CACHE_SIZE)  # its cached functions

    # --- the handler thread ---------------------------------------------------------------

    def start(self) -> None:
        """Start the handler thread; `ready` is set once it has started the process (or not)."""
        self._thread.start()

    def join(self) -> None:
        """Wait until the handler thread has stopped and reaped the process."""
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _serve(self) -> None:
        try:
            self._spawn()
        except BaseException as exc:
            self.start_error = exc
            return
        finally:
            self.ready.set()
        calls = self._calls
        while (job := calls.get()) is not None:
            if not self._alive() and not calls.closed:  # died while idle
                self._restart("died while idle")
            claimed = calls.claim(self, job)
            if isinstance(claimed, BrokenPoolError):
                calls.drop_slot(job)
                job.settle(error=claimed)
            elif claimed:
                self._run(job)
            else:  # cancelled after it got its slot
                calls.drop_slot(job)
        self._retire()

    def _run(self, job: Job) -> None:
        if job.on_start is not None:
            try:
                job.on_start(self.pid or 0, self.processor)
            except Exception:  # a listener's bug must not lose the call
                logger.exception("on_start callback of %s failed", job.name)
        undelivered: BrokenPoolError | None = None
        try:
            reply = self._attempt(job)
        except NotDeliveredError:  # and no fresh worker could take it
            msg = f"{job.name} did not run: its worker had died and no new one could start"
            reply, undelivered = None, BrokenPoolError(msg)
        finally:
            job.fn_pickle = job.args_pickle = b""  # the caller's future keeps the job alive
        reason = self._calls.finish(self, job)
        self._calls.drop_slot(job)  # before the caller hears of it, and before any restart
        pid, processor = self.pid or 0, self.processor
        if reply is not None:
            job.settle_reply(reply, pid, processor)
        if reply is None or reason is not None:
            returncode = self._retire()
            if undelivered is not None and reason is None:
                job.settle(error=undelivered)
            elif reply is None:
                job.settle_death(reason, pid, returncode)
            if not self._calls.closed:
                why = f"was killed ({reason})" if reason else f"crashed running {job.name}"
                self._restart(why)

    def _attempt(self, job: Job) -> Reply | None:
        """Run `job` on the worker: its reply, or `None` when the worker died or garbled it.

        A call that never started (the worker died before it got it, or before it marked
        it started) is sent once more, to a fresh worker.

        Raises:
            NotDeliveredError: it never started, and no fresh worker could take it.
        """
        try:
            return self._timed_exchange(job)
        except NotDeliveredError:
            if not self._replace_for(job):
                raise
        try:
            return self._timed_exchange(job)
        except NotDeliveredError:
            return None  # the fresh worker died too: a crash like any other

    def _timed_exchange(self, job: Job) -> Reply | None:
        """`_exchange` under the call's timeout; `None` when the worker died or garbled it."""
        if job.timeout is not None:
            self._watchdog.arm(self, job, job.timeout)
        try:
            return self._exchange(job)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):  # died or garbled
            return None
        finally:
            if job.timeout is not None:
                self._watchdog.disarm(self)

    def _replace_for(self, job: Job) -> bool:
        """Start a fresh worker for `job`, which never reached the dead one; False: cannot.

        Not when the parent killed the worker on purpose (the call was cancelled, timed out,
        or the pool shuts down): the call ends for that reason.
        """
        with self._lock:
            if self.kill_reason is not None or self._calls.closed:
                return False
        logger.info(
            "llmorch worker %s died before it got %s; starting a new one", self.pid, job.name
        )
        self._retire()
        try:
            self._spawn()
        except BaseException:
            if not self._calls.closed:
                logger.exception("could not restart llmorch worker %s", self.slot)
            return False
        with self._lock:  # cancelled or shut down while the new worker started
            return self.kill_reason is None and not self._calls.closed

    # --- the process: started, talked to and reaped by the handler thread only ------------

    @property
    def has_process(self) -> bool:
        """Whether a process is running or waiting to be reaped (read under the lock)."""
        return self._proc is not None

    def _spawn(self) -> None:
        """Start the worker process and wait for its hello.

        Raises:
            BrokenPoolError: the interpreter is unknown or the worker exited during start-up.
        """
        if not sys.executable:
            raise BrokenPoolError("sys.executable is unknown: cannot start worker processes")
        env = {**os.environ, **dict.fromkeys(ONE_THREAD_ENV, "1")}
        self._mark.renew(self.slot)
        try:
            proc = subprocess.Popen(  # noqa: S603 -- our own interpreter running our own module
                _worker_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                bufsize=0,
                close_fds=True,
                start_new_session=True,  # own group: Ctrl-C goes to the parent, kill the group
            )
        except BaseException:
            self._mark.drop()
            raise
        with self._lock:
            self._proc = proc
            if self._calls.closed:
                self.kill()
        timer = threading.Timer(_STARTUP_TIMEOUT, _kill_tree, (proc,))
        timer.daemon = True
        timer.start()
        try:
            to_worker, from_worker = _fds(proc)
            if sys.platform == "linux":
                for fd in (to_worker, from_worker):
                    with contextlib.suppress(OSError):  # only a hint; the default works too
                        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
            hello = (sys.path, self.core, self.slot, self._mark.path)
            send_frame(to_worker, [pickle.dumps(hello)])
            pid, processor = pickle.loads(recv_frame(from_worker)[0])  # noqa: S301
            self._mark.unlink()  # both sides map it now (where a mapped file can go)
        except (OSError, EOFError) as exc:
            self._retire()
            msg = f"worker {self.slot} exited during start-up (see its stderr above)"
            raise BrokenPoolError(msg) from exc
        finally:
            timer.cancel()
        self.pid, self.processor = pid, processor
        self._known = LRUCache(FUNCTION_CACHE_SIZE)

    def _exchange(self, job: Job) -> Reply:
        """Send `job` to the worker and return its reply.

        The function's bytes go only when the worker does not hold it already.

        Raises:
            NotDeliveredError: the worker died before it started the call.
            OSError, EOFError, pickle.UnpicklingError, ValueError: the worker died or
                garbled its reply.
        """
        assert self._proc is not None
        to_worker, from_worker = _fds(self._proc)
        known = self._known.get(job.fn_digest) is not None
        request = Request(
            job.call_id, job.fn_digest, b"" if known else job.fn_pickle, job.args_pickle
        )
        deliver(to_worker, request)
        reply = receive(job, from_worker, self._mark)
        if reply.status is Status.MISSING_FUNCTION:  # its cache evicted it: send the bytes
            request = Request(job.call_id, job.fn_digest, job.fn_pickle, job.args_pickle)
            deliver(to_worker, request)
            reply = receive(job, from_worker, self._mark)
        if reply.call_id != job.call_id:
            raise EOFError("the worker answered another call")
        if reply.status is Status.LOAD_FAILED:
            self._known.discard(job.fn_digest)
        else:
            self._known.put(job.fn_digest, True)  # noqa: FBT003 -- a set, spelled as a map
        return reply

    def _restart(self, why: str) -> None:
        """Reap the process and start a new one; log, don't raise, if that fails."""
        logger.info("llmorch worker %s %s; starting a new one", self.pid, why)
        self._retire()
        try:
            self._spawn()
        except BaseException:
            if not self._calls.closed:
                logger.exception("could not restart llmorch worker %s", self.slot)

    def _retire(self) -> int | None:
        """Kill and reap the process (if any); return its exit code."""
        with self._lock:
            proc, self._proc, self.pid = self._proc, None, None
        if proc is None:
            self._mark.drop()
            return None
        if proc.returncode is None:  # not reaped yet, so its pid cannot have been reused
            _kill_tree(proc)  # an exited process keeps its exit code; this ends stragglers
        returncode = proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        self._mark.drop()
        return returncode

    def _alive(self) -> bool:
        """Whether the process is still running."""
        with self._lock:  # poll() reaps: keep it away from kill()
            return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its group, if not reaped yet (hold the lock)."""
        if self._proc is not None and self._proc.returncode is None:
            _kill_tree(self._proc)

    def kill_for(self, job: Job, reason: KillReason) -> None:
        """Kill the process for `reason` if it still runs `job` and no kill is on its way.

        The caller holds the lock; the handler thread then settles `job` by `reason`.
        """
        if self.job is job and self.kill_reason is None:
            self.kill_reason = reason
            self.kill()

    def time_out(self, job: Job) -> None:
        """`job` ran past its timeout: kill the process if it still runs it (takes the lock)."""
        with self._lock:
            self.kill_for(job, "timeout")


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


__all__ = ["WorkerHandle"]
