"""Run compute calls on a Ray cluster: `Orchestrator(tools, executor=RayExecutor())`.

P is what the cluster can run at once of the resources one call asks for (one CPU by
default): `ray.cluster_resources()` when the executor is made, capped by `max_processors`.
The executor never has more than P calls on the cluster; the rest wait here in priority
order, so the slot accounting is the local pool's. Inout calls stay local.

    submit(fn, args) ──▶ pickle fn and args (fails fast) ─▶ queue (priority, seq)
                                                                │ a slot is free
    dispatcher thread ─ run_call.remote(digest, [fn ref], payload) ─▶ Ray worker
          │ ▲ deadline passed: ray.cancel(ref, force=True)           │ value, pid, node
          │ └──────────── slot freed ◀── ref done (Ray's callback) ◀──┘
          └──▶ future: RayCallOutcome | the tool's error | WorkerCrashedError | CallTimeoutError

Functions go to the object store once (`ray.put`, by digest) and each worker keeps them
unpickled; arguments go inline, or by `ray.put` when their pickle is larger than Ray's
inline limit. Every call is one Ray task with `max_retries=0`: a worker that dies fails
only its own call, and a call past its timeout is killed with its worker.

Example:
    ```python
    import ray
    from langchain_llmorch import Orchestrator
    from langchain_llmorch.backends.ray import RayExecutor

    ray.init()  # or ray.init(address="ray://head:10001")
    orchestrator = Orchestrator(tools, executor=RayExecutor())
    ```
"""

from __future__ import annotations

import hashlib
import heapq
import math
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, InvalidStateError
from itertools import count
from typing import Any, Self

from langchain_llmorch._extras import require_extra

try:
    import ray
    from ray import cloudpickle
except ImportError:  # pragma: no cover - depends on the environment
    require_extra("ray", "ray", feature="The Ray backend")
    raise

from langchain_llmorch.backends import _ray_task
from langchain_llmorch.backends._ray_records import (
    RayCall,
    RayCallOutcome,
    Slots,
    capacity,
    task_error,
)
from langchain_llmorch.errors import LLMOrchError, UnpicklableCallError, WorkerCrashedError
from langchain_llmorch.processes.records import CallOutcome
from langchain_llmorch.processes.worker_main import LRUCache

# Ray inlines task arguments up to 100 KiB (its max_direct_call_object_size) and copies
# bigger ones through the object store anyway; putting them there ourselves does it once.
INLINE_LIMIT = 100 * 1024
# Object refs of the functions sent so far, by digest (the workers cache as many).
FUNCTION_REFS = _ray_task.FUNCTION_CACHE_SIZE

cloudpickle.register_pickle_by_value(_ray_task)  # type: ignore[no-untyped-call]

__all__ = ["RayCallOutcome", "RayExecutor", "capacity"]


class RayExecutor:
    """A compute backend over the Ray cluster this process is connected to.

    Args:
        address: the cluster to connect to when Ray is not initialized yet (`ray.init`'s
            `address`; `None` is Ray's default: `RAY_ADDRESS`, a running local cluster, or
            a new one).
        num_cpus: CPUs one call holds (Ray sets `OMP_NUM_THREADS` to match).
        num_gpus: GPUs one call holds.
        resources: custom Ray resources one call holds, e.g. `{"big_memory": 1}`.
        max_processors: run at most this many calls at once, below what the cluster fits.

    `call_timeout` counts from the call's dispatch to the cluster, which includes a
    worker's start-up when Ray has to start one.

    Example:
        ```python
        with RayExecutor(num_cpus=1) as executor:
            agent = create_llmorch_agent("openai:gpt-4o-mini", tools, executor=executor)
        ```
    """

    def __init__(
        self,
        *,
        address: str | None = None,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
        resources: Mapping[str, float] | None = None,
        max_processors: int | None = None,
    ) -> None:
        if not ray.is_initialized():
            ray.init(address=address)
        demand = {"CPU": num_cpus, "GPU": num_gpus, **(resources or {})}
        demand = {name: amount for name, amount in demand.items() if amount > 0}
        fits = capacity(ray.cluster_resources(), demand)  # type: ignore[no-untyped-call]
        if max_processors is not None:
            fits = min(fits, max_processors)
        if fits < 1:
            msg = f"the Ray cluster cannot run a single call asking for {demand}"
            raise LLMOrchError(msg)
        self._processors = fits
        self._task = ray.remote(_ray_task.run_call)
        self._task_options: dict[str, Any] = {
            "num_cpus": num_cpus,
            "num_gpus": num_gpus,
            "resources": dict(resources or {}),
            "max_retries": 0,  # a call that kills its worker is not run again behind our back
            "retry_exceptions": False,
        }
        self._functions: LRUCache[bytes, Any] = LRUCache(FUNCTION_REFS)
        self._functions_lock = threading.Lock()
        self._slots = Slots(free=list(range(fits - 1, -1, -1)))
        self._seq = count()
        self._thread = threading.Thread(target=self._dispatch, name="llmorch-ray", daemon=True)
        self._thread.start()

    @property
    def processors(self) -> int:
        """Calls that may run at once (P)."""
        return self._processors

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
        """Queue one call for the cluster; lower `priority` is dispatched first.

        `on_start(0, slot)` fires when the call is handed to Ray (the worker's pid comes
        with the outcome). The future's exception is the tool's own (remote traceback as
        `__cause__`), `WorkerCrashedError` or `CallTimeoutError`.

        Raises:
            UnpicklableCallError: `fn` or its arguments cannot be pickled (no slot is taken).
            LLMOrchError: the executor was closed.
            ValueError: `timeout` is not positive or `priority` is NaN.
        """
        if timeout is not None and not timeout > 0:
            msg = f"timeout must be positive seconds or None, not {timeout!r}"
            raise ValueError(msg)
        if math.isnan(priority):
            raise ValueError("priority must be a number, not NaN")
        name = getattr(fn, "__qualname__", None) or repr(fn)
        try:
            fn_pickle = cloudpickle.dumps(fn)  # type: ignore[no-untyped-call]
            payload: Any = cloudpickle.dumps((tuple(args), dict(kwargs or {})))  # type: ignore[no-untyped-call]
        except Exception as exc:
            msg = f"cannot send {name} and its arguments to a Ray worker: {exc}"
            raise UnpicklableCallError(msg) from exc
        digest = hashlib.blake2b(fn_pickle, digest_size=16).digest()
        if len(payload) > INLINE_LIMIT:
            payload = ray.put(payload)
        future: Future[CallOutcome] = Future()
        fn_ref = self._function_ref(digest, fn_pickle)
        call = RayCall(future, name, digest, fn_ref, payload, timeout, on_start)
        future.add_done_callback(lambda done: self._on_cancel(call) if done.cancelled() else None)
        slots = self._slots
        with slots.cond:
            if slots.closed:
                msg = "the RayExecutor was closed"
                raise LLMOrchError(msg)
            heapq.heappush(slots.queue, (priority, next(self._seq), call))
            slots.cond.notify()
        return future

    def abort(self, future: Future[CallOutcome]) -> None:
        """Cancel a queued call, or kill a running one with its worker (`ray.cancel`)."""
        future.cancel()

    def close(self) -> None:
        """Cancel queued calls, kill running ones and stop the dispatcher (Ray stays up)."""
        slots = self._slots
        with slots.cond:
            slots.closed = True
            waiting = [call for _, _, call in slots.queue] + list(slots.running)
            slots.cond.notify()
        for call in waiting:
            call.future.cancel()
        self._thread.join()

    def __enter__(self) -> Self:
        """Use the executor in a `with` block; it closes at the end."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the executor."""
        self.close()

    # --- the driver side ---------------------------------------------------------------

    def _function_ref(self, digest: bytes, fn_pickle: bytes) -> Any:
        with self._functions_lock:
            ref = self._functions.get(digest)
            if ref is None:
                ref = ray.put(fn_pickle)
                self._functions.put(digest, ref)
            return ref

    def _dispatch(self) -> None:
        """The dispatcher thread: start queued calls in free slots, kill calls past deadline."""
        slots = self._slots
        while True:
            with slots.cond:
                late = [
                    c for c in slots.running if c.kill is None and c.deadline <= time.monotonic()
                ]
                for call in late:
                    call.kill = "timeout"
                ready = []
                while slots.free and slots.queue and not slots.closed:
                    call = heapq.heappop(slots.queue)[2]
                    if not call.future.cancelled():
                        call.slot = slots.free.pop()
                        slots.running.add(call)
                        ready.append(call)
                if not late and not ready:
                    if slots.closed:
                        return
                    deadlines = [c.deadline for c in slots.running if c.kill is None]
                    wait = min(deadlines, default=math.inf) - time.monotonic()
                    slots.cond.wait(None if wait == math.inf else max(wait, 0.0))
                    continue
            for call in late:
                ray.cancel(call.ref, force=True)
            for call in ready:
                self._launch(call)

    def _launch(self, call: RayCall) -> None:
        slot = call.slot if call.slot is not None else -1
        if call.on_start is not None:
            call.on_start(0, slot)
        try:
            ref = self._task.options(name=call.name, **self._task_options).remote(
                call.digest, [call.fn_ref], call.payload
            )
        except Exception as exc:  # Ray refused the task (e.g. the cluster went away)
            self._finish(call, error=WorkerCrashedError(f"Ray did not take {call.name}: {exc}"))
            return
        with self._slots.cond:
            call.ref = ref
            if call.timeout is not None:
                call.deadline = time.monotonic() + call.timeout
            cancelled = call.kill == "cancelled"
            self._slots.cond.notify()  # the dispatcher's next deadline may be this one
        if cancelled:
            ray.cancel(ref, force=True)
        ref.future().add_done_callback(lambda done: self._on_done(call, done))

    def _on_cancel(self, call: RayCall) -> None:
        """The caller cancelled the future: drop the call, or kill its worker."""
        with self._slots.cond:
            ref = call.ref if call.kill is None and call in self._slots.running else None
            if call.kill is None:
                call.kill = "cancelled"
        if ref is not None:
            ray.cancel(ref, force=True)

    def _on_done(self, call: RayCall, done: Future[Any]) -> None:
        """Ray's callback thread: turn the task's end into the call's outcome."""
        try:
            value, pid, started, ended, node_id, node_ip, worker_id = done.result()
        except Exception as err:
            self._finish(call, error=task_error(call, err))
        else:
            slot = call.slot if call.slot is not None else -1
            outcome = RayCallOutcome(value, slot, pid, started, ended, node_id, node_ip, worker_id)
            self._finish(call, outcome=outcome)

    def _finish(
        self,
        call: RayCall,
        outcome: CallOutcome | None = None,
        error: BaseException | None = None,
    ) -> None:
        slots = self._slots
        with slots.cond:
            if call in slots.running:
                slots.running.discard(call)
                if call.slot is not None:
                    slots.free.append(call.slot)
                slots.cond.notify()
        try:
            if error is not None:
                call.future.set_exception(error)
            elif outcome is not None:
                call.future.set_result(outcome)
        except InvalidStateError:  # cancelled meanwhile
            pass
