"""Run compute calls on a Dask cluster: `Orchestrator(tools, executor=DaskExecutor(client))`.

P is the cluster's worker threads; give each Dask worker one thread per core
(`threads_per_worker=1`) so one call is one processor, as on the local pool. The
coordinator never hands the cluster more than P calls at once, so the slot
accounting is the same as on this machine. Inout calls stay local.

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

import os
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from langchain_llmorch._extras import require_extra

try:
    from distributed import KilledWorker
except ImportError:  # pragma: no cover - the extra is installed in the tests
    require_extra("dask", "distributed", feature="The Dask backend")
    raise

from langchain_llmorch.errors import LLMOrchError, WorkerCrashedError
from langchain_llmorch.processes.records import CallOutcome


def _timed(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> CallOutcome:
    """Runs on a Dask worker: the call with where and when it ran."""
    started = time.time()
    value = fn(*args, **kwargs)
    return CallOutcome(
        value, processor=-1, pid=os.getpid(), started_at=started, ended_at=time.time()
    )


class DaskExecutor:
    """A compute backend over a `distributed.Client`.

    `timeout` is not enforced by Dask; `on_start` fires when the call is handed to
    the cluster. A call that kills its worker is tried again on other workers up to
    Dask's `distributed.scheduler.allowed-failures` (3), then fails with
    `WorkerCrashedError`; set that option to 0 for a crash to fail at once.
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
        """Send one call to the cluster (higher Dask priority for lower values here)."""
        del timeout  # Dask has no per-task timeout; documented above
        remote = self.client.submit(
            _timed, fn, tuple(args), dict(kwargs or {}), priority=-priority, pure=False
        )
        if on_start is not None:
            on_start(0, -1)
        future: Future[CallOutcome] = Future()
        future.remote = remote  # type: ignore[attr-defined]

        def done(finished: Any) -> None:
            # Let go of the key: a result still held on a worker that later dies is recomputed.
            future.__dict__.pop("remote", None)
            if future.cancelled():
                return
            try:
                future.set_result(finished.result())
            except KilledWorker as err:  # the call killed every worker it was tried on
                crash = WorkerCrashedError(f"the Dask workers running {fn!r} died: {err}")
                crash.__cause__ = err
                future.set_exception(crash)
            except BaseException as err:  # the tool's own exception, re-raised here
                future.set_exception(err)

        remote.add_done_callback(done)
        return future

    def abort(self, future: Future[CallOutcome]) -> None:
        """Cancel the call on the cluster."""
        remote = getattr(future, "remote", None)
        if remote is not None:
            remote.cancel()
        future.cancel()
