"""The Ray backend's records: a call in the driver, the slots, and what comes back.

`backends.ray.RayExecutor` keeps a `RayCall` per call and the `Slots` it dispatches
into; a finished task becomes a `RayCallOutcome` or, through `task_error`, the tool's own
exception, `WorkerCrashedError` or `CallTimeoutError`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal

import ray

from langchain_llmorch.errors import CallTimeoutError, LLMOrchError, WorkerCrashedError
from langchain_llmorch.processes.records import CallOutcome, RemoteCallError, RemoteTraceback


@dataclass(frozen=True)
class RayCallOutcome(CallOutcome):
    """A `CallOutcome` that also says where on the cluster the call ran.

    `processor` is the executor's slot (0..P-1), `pid` the Ray worker's process id.
    """

    node_id: str = ""
    """The Ray node that ran the call (`ray.get_runtime_context().get_node_id()`)."""
    node_ip: str = ""
    """That node's IP address."""
    worker_id: str = ""
    """The Ray worker that ran the call."""

    @property
    def node(self) -> str:
        """Where the call ran, for people: the node's IP address (`node_id` is exact)."""
        return self.node_ip


@dataclass(eq=False)
class RayCall:
    """A call in the driver: queued, then on the cluster in one slot. Holds the future."""

    future: Future[CallOutcome]
    name: str
    digest: bytes
    fn_ref: Any
    payload: Any
    timeout: float | None
    on_start: Callable[[int, int], None] | None
    slot: int | None = None
    ref: Any = None
    deadline: float = math.inf
    kill: Literal["timeout", "cancelled"] | None = None


@dataclass
class Slots:
    """The dispatcher's shared state, guarded by `cond`."""

    free: list[int]
    cond: threading.Condition = field(default_factory=threading.Condition)
    queue: list[tuple[float, int, RayCall]] = field(default_factory=list)
    running: set[RayCall] = field(default_factory=set)
    closed: bool = False


def capacity(total: Mapping[str, float], demand: Mapping[str, float]) -> int:
    """How many calls asking for `demand` fit at once in a cluster holding `total`.

    Example:
        ```python
        capacity({"CPU": 8.0, "GPU": 2.0}, {"CPU": 1.0, "GPU": 1.0})  # 2
        ```
    """
    fits = [math.floor(total.get(name, 0.0) / amount + 1e-9) for name, amount in demand.items()]
    if not fits:
        msg = "each call must ask for some resource (num_cpus, num_gpus or resources)"
        raise ValueError(msg)
    return min(fits)


def task_error(call: RayCall, err: Exception) -> BaseException:
    """What a call's future raises when its Ray task failed."""
    if isinstance(err, ray.exceptions.RayTaskError):  # the tool raised: its own exception
        cause = getattr(err, "cause", None)
        error = cause if isinstance(cause, Exception) else RemoteCallError(str(err))
        text = getattr(err, "traceback_str", None) or str(err)
        error.__cause__ = RemoteTraceback(text, getattr(err, "pid", None))
        return error
    if call.kill == "timeout":
        msg = f"{call.name} ran past its {call.timeout:g} s timeout; its Ray worker was killed"
        failure: LLMOrchError = CallTimeoutError(msg)
    else:  # the worker, its node or an object died, or someone else cancelled the task
        failure = WorkerCrashedError(f"the Ray task running {call.name} failed: {err}")
    failure.__cause__ = err
    return failure
