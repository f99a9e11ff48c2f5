"""Run compute calls on a Dask cluster: `Orchestrator(tools, executor=DaskExecutor(client))`.

P is the cluster's worker threads; give each Dask worker one thread per core
(`threads_per_worker=1`) so one call is one processor, as on the local pool. The
coordinator never hands the cluster more than P calls at once, so the slot
accounting is the same as on this machine. Inout calls stay local.

Timeouts: Dask cannot interrupt a task that is running (it runs in a worker's thread).
A call still running `timeout` seconds after it was handed to the cluster fails at once
with `CallTimeoutError` (the run goes on); its Dask future is cancelled, and the worker
running it, whose thread stays busy until the function returns, is restarted through its
nanny (`Client.restart_workers`): the nanny waits a few seconds for the worker to close,
then kills it and starts a fresh one. Other calls running on that worker (with
`threads_per_worker > 1`) are then run again by Dask elsewhere. A worker without a nanny
cannot be restarted: it keeps running the abandoned call (logged) until it returns.

Example:
    ```python
    from distributed import Client, LocalCluster
    from langchain_llmorch import Orchestrator
    from langchain_llmorch.backends.dask import DaskExecutor

    client = Client(LocalCluster(n_workers=4, threads_per_worker=1))
    orchestrator = Orchestrator(tools, executor=DaskExecutor(client))
    ```
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any

from langchain_llmorch._extras import require_extra

try:
    from distributed import KilledWorker
except ImportError:  # pragma: no cover - the extra is installed in the tests
    require_extra("dask", "distributed", feature="The Dask backend")
    raise

from langchain_llmorch.errors import CallTimeoutError, LLMOrchError, WorkerCrashedError
from langchain_llmorch.processes.records import CallOutcome

logger = logging.getLogger(__name__)

RESTART_TIMEOUT = 60.0
"""Seconds `Client.restart_workers` may take to bring back the worker of a timed-out call."""


def _timed(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> CallOutcome:
    """Runs on a Dask worker: the call with where and when it ran."""
    started = time.time()
    value = fn(*args, **kwargs)
    return CallOutcome(
        value, processor=-1, pid=os.getpid(), started_at=started, ended_at=time.time()
    )


class DaskExecutor:
    """A compute backend over a `distributed.Client`.

    `on_start` fires when the call is handed to the cluster, and `timeout` counts
    from there: past it the call fails with `CallTimeoutError` and its worker is
    restarted (see the module's notes). A call that kills its worker is tried again on
    other workers up to Dask's `distributed.scheduler.allowed-failures` (3), then fails
    with `WorkerCrashedError`; set that option to 0 for a crash to fail at once.

    Example:
        ```python
        from distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
        agent = create_llmorch_agent(model, tools, executor=DaskExecutor(client))
        ```
    """

    def __init__(self, client: Any) -> None:
        """Use `client`'s cluster; its worker threads are P."""
        self.client = client

    @property
    def processors(self) -> int:
        """Worker threads across the cluster."""
        threads = sum(self.client.nthreads().values())
        if threads < 1:
            msg = "the Dask cluster has no worker threads"
            raise LLMOrchError(msg)
        return int(threads)

    def submit(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        priority: float = 0.0,
        timeout: float | None = None,
        on_start: Callable[[int, int], None] | None = None,
    ) -> Future[CallOutcome]:
        """Send one call to the cluster (higher Dask priority for lower values here).

        Raises:
            ValueError: `timeout` is not positive.
        """
        if timeout is not None and not timeout > 0:
            msg = f"timeout must be positive seconds or None, not {timeout!r}"
            raise ValueError(msg)
        remote = self.client.submit(
            _timed, fn, tuple(args), dict(kwargs or {}), priority=-priority, pure=False
        )
        if on_start is not None:
            on_start(0, -1)
        future: Future[CallOutcome] = Future()
        future.remote = remote  # type: ignore[attr-defined]

        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, self._expire, (future, remote, fn, timeout))
            timer.daemon = True
            timer.start()

        def done(finished: Any) -> None:
            if timer is not None:
                timer.cancel()
            # Let go of the key: a result still held on a worker that later dies is recomputed.
            future.__dict__.pop("remote", None)
            if future.done():  # cancelled, or failed by its timeout
                return
            with contextlib.suppress(InvalidStateError):  # a timeout or cancel came first
                _settle(future, finished, fn)

        remote.add_done_callback(done)
        return future

    def _expire(self, future: Future[CallOutcome], remote: Any, fn: Any, timeout: float) -> None:
        """A timer thread: fail a call past its timeout, cancel it, restart its worker."""
        if future.done():
            return
        worker = self._worker_running(remote.key)
        msg = f"{fn!r} ran past call_timeout={timeout}s on Dask"
        try:
            future.set_exception(CallTimeoutError(msg))
        except InvalidStateError:  # it finished meanwhile
            return
        remote.cancel()
        if worker is not None:
            threading.Thread(
                target=self._restart, args=(worker,), name="llmorch-dask-restart", daemon=True
            ).start()

    def _worker_running(self, key: Any) -> str | None:
        """The address of the worker processing `key` (None while it waits in the scheduler)."""
        try:
            processing = self.client.processing()
        except Exception:
            logger.exception("cannot ask the Dask scheduler where %s runs", key)
            return None
        return next((str(w) for w, keys in processing.items() if key in keys), None)

    def _restart(self, worker: str) -> None:
        """Restart `worker` through its nanny: its thread is stuck in an abandoned call."""
        try:
            self.client.restart_workers([worker], timeout=RESTART_TIMEOUT)
        except Exception as err:
            logger.warning(
                "cannot restart Dask worker %s after a call timed out (%s): it runs the "
                "abandoned call until it returns",
                worker,
                err,
            )

    def abort(self, future: Future[CallOutcome]) -> None:
        """Cancel the call on the cluster."""
        remote = getattr(future, "remote", None)
        if remote is not None:
            remote.cancel()
        future.cancel()


def _settle(future: Future[CallOutcome], finished: Any, fn: Any) -> None:
    """Give `future` the outcome of the Dask future `finished`."""
    try:
        value = finished.result()
    except KilledWorker as err:  # the call killed every worker it was tried on
        crash = WorkerCrashedError(f"the Dask workers running {fn!r} died: {err}")
        crash.__cause__ = err
        future.set_exception(crash)
    except BaseException as err:  # the tool's own exception, re-raised here
        future.set_exception(err)
    else:
        future.set_result(value)
