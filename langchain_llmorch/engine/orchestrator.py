"""Running an FRG: the call scheduler and the execution coordinator.

How a call flows (one `_Run` per `arun`, all on one asyncio event loop):

    FRG ─► scheduler ─ inputs ready ─► coordinator ─┬─► inout, async ─► event loop
            ▲ (R1: waiting parents)          │        ├─► inout, sync ──► thread pool
            │                                │        └─► compute ──► ProcessPool: P workers,
            │                                │            priority queue, one call per core
            └────────── completion ◄─────────┴──── result or exception + trace record

- The scheduler (paper Algorithm 2) releases a call when all its data parents
  have finished; a failed call's descendants are skipped, never run.
- The coordinator (Algorithm 3) starts inout calls at once. Compute calls go to
  the process-wide `ProcessPool`, which never runs more than P at a time, so
  mutually exclusive calls (R2) always sit on distinct processors. Every compute
  call, in every pool and process of the user, also holds one of P machine-wide
  slots while it runs (`processes.slots`); `max_processors` only lowers P.
  `policy="dataflow"` hands every ready compute call to the pool with the
  priority chosen by `scheduling.choose_order`; `policy="paper"` follows
  Algorithm 3 as written: FIFO sets, inout first, the first |spare| mutually
  exclusive calls, the rest re-queued at the front, and nothing new starts while
  no processor is spare.
- Every call leaves a `TraceRecord` with its processor, pid and epoch times.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from langchain_llmorch.engine.backend import (
    DEFAULT_MAX_THREADS,
    ComputeExecutor,
    run_sync,
    thread_pool,
)
from langchain_llmorch.engine.calls import CallRunner
from langchain_llmorch.engine.events import RunResult, TraceRecord, event
from langchain_llmorch.engine.load import LoadMonitor
from langchain_llmorch.engine.scheduling import DurationModel, choose_order
from langchain_llmorch.errors import DependencyFailedError
from langchain_llmorch.plan.expressions import ExpressionError, RunBudget, evaluate_args
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.processes import pool as _pool
from langchain_llmorch.processes.slots import Limit, SlotGroup, machine_slots
from langchain_llmorch.tools import COMPUTE, IN_PROCESS, JOIN_TOOL, tool_kind, tools_by_name

Policy = Literal["dataflow", "paper"]
EventSink = Callable[[dict[str, Any]], None]
ResultHook = Callable[[str, Any], None]
"""Called with `(call id, result)` as each call finishes; raising fails that call."""
Extension = tuple[FRG, Mapping[str, Any]]
"""A plan streamed so far (each FRG extends the previous one: same calls first) and
results already known for its new calls (restored from a checkpoint)."""

# One model of tool durations for the whole process, so every agent learns from every run.
_SHARED_DURATIONS = DurationModel()


class Orchestrator:
    """Executes an FRG: inout calls overlap, compute calls run on at most P processes.

    Args:
        tools: the tools the plan may call (`self` is one of them when the plan uses it).
        max_processors: P, the compute calls allowed at once. `None`: the processors
            this process may use (affinity, cgroup quota, physical cores). It caps this
            orchestrator below the machine-wide bound, never above it.
        policy: `"dataflow"` (default) or `"paper"` (Algorithms 2-3 as written).
        executor: a compute backend; default the process-wide worker pool.
        call_timeout: seconds after which a call is failed (a compute call is
            killed with its worker).
        max_threads: threads for sync inout tools.
        durations: the per-tool duration model used to choose the order.
        respect_load: hold compute calls back while other programs occupy
            processors (the paper's `spareprocs()`); one call always runs, so a
            busy machine slows a plan down but never stalls it. Off by default:
            see the README's benchmark of it.
        slot_group: the group of processes whose compute calls share the machine's P
            slots (`langchain_llmorch.processes.slots`). `None` reads `LLMORCH_SLOT_GROUP`
            (default `"default"`: every process of the user); `"off"` bounds only this
            process's pool.

    Example:
        ```python
        from langchain_llmorch import Orchestrator, build_frg, compute, parse_plan

        @compute
        def square(x: int) -> int:
            \"\"\"x squared.\"\"\"
            return x * x

        frg = build_frg(parse_plan("s1: square(x=3)\\ns2: square(x=s1)"), [square])
        result = Orchestrator([square], max_processors=2).run(frg)
        assert result.results["s2"] == 81
        ```
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]] | Mapping[str, BaseTool],
        max_processors: int | None = None,
        policy: Policy = "dataflow",
        executor: ComputeExecutor | None = None,
        call_timeout: float | None = None,
        *,
        max_threads: int = DEFAULT_MAX_THREADS,
        durations: DurationModel | None = None,
        respect_load: bool = False,
        slot_group: str | None = None,
    ) -> None:
        """Create an orchestrator; the worker pool starts on first use."""
        if policy not in ("dataflow", "paper"):
            msg = f"policy must be 'dataflow' or 'paper', not {policy!r}"
            raise ValueError(msg)
        if max_processors is not None and max_processors < 1:
            msg = f"max_processors must be at least 1, not {max_processors}"
            raise ValueError(msg)
        if call_timeout is not None and call_timeout <= 0:
            msg = f"call_timeout must be positive, not {call_timeout}"
            raise ValueError(msg)
        self.tools = dict(tools) if isinstance(tools, Mapping) else tools_by_name(tools)
        self.policy: Policy = policy
        self.call_timeout = call_timeout
        self.durations = durations or _SHARED_DURATIONS
        self.respect_load = respect_load
        self._load: LoadMonitor | None = None
        self._executor = executor
        self._max_processors = max_processors
        self._slot_group = slot_group
        self._slots = machine_slots(slot_group)  # a bad group name fails here, not later
        self.threads = thread_pool(max_threads)
        self._lock = threading.Lock()

    @property
    def processors(self) -> int:
        """P: how many compute calls run at once."""
        if self._executor is not None:
            return self._executor.processors
        wanted = self._max_processors or _pool.usable_cpus()
        slots = self.slots
        return wanted if slots is None else min(wanted, slots.size)

    @property
    def slots(self) -> SlotGroup | None:
        """The machine-wide slots compute calls run in (`None` when off)."""
        return self._slots

    @property
    def slot_limit(self) -> Limit | None:
        """This orchestrator's cap within the slots: its pool's (shared by its size)."""
        limit: Limit | None = getattr(self._executor, "slot_limit", None)
        if limit is not None or self.slots is None:
            return limit
        return self.slots.limit(self.processors)  # a remote backend: in-process calls only

    @property
    def executor(self) -> ComputeExecutor:
        """The compute backend (the shared process pool unless one was given)."""
        with self._lock:
            if self._executor is None:
                self._executor = _pool.get_pool(self.processors, slot_group=self._slot_group)
            return self._executor

    @property
    def load(self) -> LoadMonitor | None:
        """The load monitor when `respect_load` is on."""
        if self.respect_load and self._load is None:
            pids = getattr(self.executor, "worker_pids", list)
            self._load = LoadMonitor(pids)
        return self._load

    def warm(self) -> None:
        """Start the worker processes now, before the first compute call is due."""
        executor = self.executor
        start = getattr(executor, "start", None)
        if callable(start):
            start()

    async def arun(
        self,
        frg: FRG,
        *,
        results: Mapping[str, Any] | None = None,
        attempts: Mapping[str, int] | None = None,
        on_event: EventSink | None = None,
        config: RunnableConfig | None = None,
        on_result: ResultHook | None = None,
    ) -> RunResult:
        """Run every call of `frg` that has no result yet.

        Args:
            frg: the graph to run.
            results: results kept from an earlier run; those calls do not run again.
            attempts: call id -> attempt number, reported in events and the trace.
            on_event: receives one dict per call transition (`scheduled`, `started`,
                `finished`, `failed`).
            config: passed to every tool, so callbacks, tags and metadata apply.
            on_result: called with `(call id, result)` as each call finishes, before
                its children start (e.g. to save the result); if it raises, the call
                fails with that error.

        Returns:
            Results, errors, skipped calls and the trace.
        """
        return await self._arun(
            frg, results, attempts, on_event, config, prefer_sync=False, on_result=on_result
        )

    async def _arun(
        self,
        frg: FRG,
        results: Mapping[str, Any] | None,
        attempts: Mapping[str, int] | None,
        on_event: EventSink | None,
        config: RunnableConfig | None,
        *,
        prefer_sync: bool,
        on_result: ResultHook | None = None,
    ) -> RunResult:
        uses_compute = any(frg.kind(c) == COMPUTE for c in frg.calls if c not in (results or {}))
        executor = self.executor if uses_compute else None
        run = _Run(self, frg, executor, results or {}, attempts or {}, on_event, config or {})
        # A sync run gets a fresh event loop: tools with a sync implementation run in
        # threads, so clients bound to another loop (an async HTTP pool) are never reused.
        run.runner.prefer_sync = prefer_sync
        run.on_result = on_result
        return await run.execute()

    async def arun_streaming(
        self,
        graphs: AsyncIterable[Extension],
        *,
        attempts: Mapping[str, int] | None = None,
        on_event: EventSink | None = None,
        config: RunnableConfig | None = None,
        on_result: ResultHook | None = None,
    ) -> RunResult:
        """Run a plan while it is being written: calls start as their lines arrive.

        Args:
            graphs: the plan so far, growing: each FRG has the previous one's calls
                first, then new ones, with results already known for the new ones.
            attempts: see `arun`.
            on_event: see `arun`.
            config: see `arun`.
            on_result: see `arun`.

        Returns:
            The run of every call received, once `graphs` ends and they are done.
        """
        return await self._arun_streaming(
            graphs, attempts, on_event, config, prefer_sync=False, on_result=on_result
        )

    def run_streaming(
        self,
        graphs: AsyncIterable[Extension],
        *,
        attempts: Mapping[str, int] | None = None,
        on_event: EventSink | None = None,
        config: RunnableConfig | None = None,
        on_result: ResultHook | None = None,
    ) -> RunResult:
        """Synchronous `arun_streaming` (tools with a sync implementation run in threads)."""
        return run_sync(
            self._arun_streaming(
                graphs, attempts, on_event, config, prefer_sync=True, on_result=on_result
            )
        )

    async def _arun_streaming(
        self,
        graphs: AsyncIterable[Extension],
        attempts: Mapping[str, int] | None,
        on_event: EventSink | None,
        config: RunnableConfig | None,
        *,
        prefer_sync: bool,
        on_result: ResultHook | None,
    ) -> RunResult:
        feed = aiter(graphs)
        first = await anext(feed, None)
        if first is None:
            return RunResult(results={}, started_at=time.time())
        frg, known = first
        # The calls to come are unknown: the pool is needed if any tool may need it.
        uses_pool = any(
            tool_kind(t) == COMPUTE and not (t.metadata or {}).get(IN_PROCESS)
            for t in self.tools.values()
        )
        executor = self.executor if uses_pool else None
        run = _Run(self, frg, executor, known, attempts or {}, on_event, config or {})
        run.runner.prefer_sync = prefer_sync
        run.on_result = on_result
        return await run.execute(more=feed)

    def run(
        self,
        frg: FRG,
        *,
        results: Mapping[str, Any] | None = None,
        attempts: Mapping[str, int] | None = None,
        on_event: EventSink | None = None,
        config: RunnableConfig | None = None,
        on_result: ResultHook | None = None,
    ) -> RunResult:
        """Synchronous `arun`: as parallel as the async one (see `arun` for arguments).

        Inout tools that have a sync implementation run it in the thread pool.
        """
        return run_sync(
            self._arun(
                frg, results, attempts, on_event, config, prefer_sync=True, on_result=on_result
            )
        )


class _Run:
    """The state of one execution of an FRG."""

    def __init__(
        self,
        orch: Orchestrator,
        frg: FRG,
        executor: ComputeExecutor | None,
        kept: Mapping[str, Any],
        attempts: Mapping[str, int],
        on_event: EventSink | None,
        config: RunnableConfig,
    ) -> None:
        self.frg = frg
        self.policy = orch.policy
        self.executor = executor
        self.processors = executor.processors if executor else orch.processors
        self.load = orch.load if executor else None
        self.runner = CallRunner(
            orch.tools,
            orch.threads,
            executor,
            orch.call_timeout,
            config,
            slots=orch.slots,
            slot_limit=orch.slot_limit,
        )
        self.durations = orch.durations
        self.attempts = attempts
        self.on_event = on_event
        self.on_result: ResultHook | None = None
        self.result = RunResult(results=dict(kept), started_at=time.time())
        self.todo = [cid for cid in frg.calls if cid not in kept]
        self.waiting = {cid: sum(1 for p in frg.parents(cid) if p not in kept) for cid in self.todo}
        self.tasks: dict[asyncio.Task[Any], str] = {}
        self.priority: Mapping[str, float] = {}
        self.sets: list[list[str]] = []  # paper policy: FIFO sets of scheduled calls
        self.running_compute = 0
        self.ready_compute: list[tuple[float, int, str]] = []  # dataflow: heap by priority
        self.arrivals = itertools.count()
        self.records: dict[str, TraceRecord] = {}
        self.finished: asyncio.Queue[asyncio.Task[Any]] = asyncio.Queue()
        self.position = {cid: i for i, cid in enumerate(frg.calls)}
        self.budget = RunBudget()  # what the calls' arguments may build, all together

    # -- scheduler -----------------------------------------------------------------

    def choose_priorities(self) -> None:
        choice = choose_order(self.frg, self.durations.durations(self.frg), self.processors)
        self.priority = (
            choice.priority
            if self.policy == "dataflow"
            else {cid: float(i) for i, cid in enumerate(self.frg.calls)}
        )
        self.result.schedule = choice.name if self.policy == "dataflow" else "paper-fifo"

    async def execute(self, more: AsyncIterable[Extension] | None = None) -> RunResult:
        if self.todo:
            self.choose_priorities()
        self.release([cid for cid in self.todo if self.waiting[cid] == 0])
        feeder = asyncio.create_task(self.follow(more)) if more is not None else None
        if feeder is not None:
            feeder.add_done_callback(self.finished.put_nowait)
        try:
            # Finished calls (and the plan's stream, when it ends) arrive on a queue, not
            # `asyncio.wait` over every task, whose cost grows with the calls in flight.
            while self.tasks or (feeder is not None and not feeder.done()):
                task = await self.finished.get()
                if task is feeder:
                    task.result()  # the plan's stream failed: stop the run
                else:
                    self.complete(self.tasks.pop(task), task.result())
            if feeder is not None:
                feeder.result()
        except BaseException:
            for task in [*self.tasks, *([feeder] if feeder else [])]:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            raise
        ends = [r.ended_at for r in self.result.trace]
        self.result.makespan = max(ends, default=self.result.started_at) - self.result.started_at
        return self.result

    async def follow(self, more: AsyncIterable[Extension]) -> None:
        """Take in calls as the plan streams (see `Orchestrator.arun_streaming`)."""
        async for frg, known in more:
            self.extend(frg, known)

    def extend(self, frg: FRG, known: Mapping[str, Any]) -> None:
        """Add the new calls of `frg` (a longer version of this run's plan)."""
        new = [cid for cid in frg.calls if cid not in self.frg.calls]
        self.frg = frg
        for cid in new:
            self.position[cid] = len(self.position)
        # A call whose task has not been completed yet still counts as waited for,
        # even when its result is in: `complete` will count it down.
        running = set(self.tasks.values())
        ready = []
        for cid in new:
            if cid in known:
                self.result.results[cid] = known[cid]
                continue
            parents = frg.parents(cid)
            if any(p in self.result.errors or p in self.result.skipped for p in parents):
                self.result.skipped.append(cid)
                continue
            self.todo.append(cid)
            self.waiting[cid] = sum(
                1 for p in parents if p not in self.result.results or p in running
            )
            if self.waiting[cid] == 0:
                ready.append(cid)
        if new:
            self.choose_priorities()
        self.release(ready)

    def release(self, ready: list[str]) -> None:
        """Hand calls whose inputs are complete to the coordinator (they are scheduled)."""
        for cid in ready:
            self.records[cid] = record = TraceRecord(
                id=cid,
                tool=self.frg.calls[cid].tool,
                kind=self.frg.kind(cid),
                processor=None,
                pid=os.getpid(),
                scheduled_at=time.time(),
                started_at=0.0,
                ended_at=0.0,
                status="finished",
                attempt=self.attempts.get(cid, 1),
            )
            self.emit("scheduled", record)
        if self.policy == "paper":
            if ready:
                self.sets.append(ready)
            self.coordinate()
            return
        for cid in ready:
            if self.frg.kind(cid) == COMPUTE:
                key = (self.priority.get(cid, 0.0), next(self.arrivals), cid)
                heapq.heappush(self.ready_compute, key)
            else:
                self.start(cid)
        self.dispatch()

    def capacity(self) -> int:
        """Processors compute calls may hold now: P, or what other programs leave free."""
        if self.load is None:
            return self.processors
        return max(self.load.spare(self.processors), 1 if self.running_compute == 0 else 0)

    def dispatch(self) -> None:
        """Dataflow: hand the best ready compute calls to the pool, one per free processor.

        Calls wait here, not in the pool's queue, so a call that becomes ready a moment
        later can still go first when its priority is higher.
        """
        while self.ready_compute and self.running_compute < self.capacity():
            _, _, cid = heapq.heappop(self.ready_compute)
            self.start(cid)

    def complete(self, cid: str, record: TraceRecord) -> None:
        self.result.trace.append(record)
        if self.frg.kind(cid) == COMPUTE:
            self.running_compute -= 1
        if record.status == "finished":
            self.durations.observe(record.tool, record.duration)
            self.emit(
                "finished",
                record,
                pid=record.pid,
                started_at=record.started_at,
                ended_at=record.ended_at,
                result=self.result.results.get(cid),
            )
        else:
            self.emit("failed", record, error=record.error)
            self.skip_descendants(cid)
            self.release([])
            return
        ready = []
        for child in self.frg.children(cid):
            if child in self.waiting:
                self.waiting[child] -= 1
                if self.waiting[child] == 0:
                    ready.append(child)
        self.release(ready)

    def skip_descendants(self, cid: str) -> None:
        for child in sorted(self.frg.descendants([cid]), key=self.position.__getitem__):
            if child in self.waiting and child not in self.result.skipped:
                self.waiting.pop(child)
                self.result.skipped.append(child)

    # -- coordinator ---------------------------------------------------------------

    def coordinate(self) -> None:
        """Algorithm 3: dispatch FIFO sets while processors are spare."""
        while self.sets and self.capacity() - self.running_compute > 0:
            current = self.sets.pop(0)
            compute = [c for c in current if self.frg.kind(c) == COMPUTE]
            # R2 by rank groups: a compute call is exclusive when another of the set
            # has its rank.
            per_rank = Counter(self.frg.rank(c) for c in compute)
            exclusive = [c for c in compute if per_rank[self.frg.rank(c)] > 1]
            for cid in current:
                if cid not in exclusive:
                    self.start(cid)
            spare = max(self.capacity() - self.running_compute, 0)
            for cid in exclusive[:spare]:
                self.start(cid)
            if rest := exclusive[spare:]:
                self.sets.insert(0, rest)
                return

    def start(self, cid: str) -> None:
        """Coordinate one scheduled call onto the loop, a thread or the pool."""
        record = self.records[cid]
        if record.kind == COMPUTE:
            self.running_compute += 1
        task = asyncio.ensure_future(self.invoke(cid, record))
        self.tasks[task] = cid
        task.add_done_callback(self.finished.put_nowait)

    async def invoke(self, cid: str, record: TraceRecord) -> TraceRecord:
        results = self.result.results
        try:
            args = evaluate_args(self.frg.bound_args[cid], results, run=self.budget)
        except KeyError as err:
            failure = DependencyFailedError(f"could not compute the arguments of {cid}: {err!r}")
            failure.__cause__ = err
            return self.fail(record, failure)
        except ExpressionError as err:
            return self.fail(record, err)
        except Exception as err:  # MemoryError, RecursionError...: still only this call's
            broken = ExpressionError(f"could not compute the arguments of {cid}: {err!r}")
            broken.__cause__ = err
            return self.fail(record, broken)
        if record.tool == JOIN_TOOL:
            record.started_at = record.ended_at = time.time()
            results[cid] = None
            return record

        def on_started(record: TraceRecord) -> None:
            self.emit("started", record, pid=record.pid, args=args)

        try:
            value = await self.runner.call(
                record, args, priority=self.priority.get(cid, 0.0), on_start=on_started
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:
            return self.fail(record, err)
        if self.on_result is not None:
            try:
                self.on_result(cid, value)
            except Exception as err:  # the hook's error fails this call only
                return self.fail(record, err)
        results[cid] = value
        return record

    def fail(self, record: TraceRecord, err: BaseException) -> TraceRecord:
        record.status = "failed"
        record.error = f"{type(err).__name__}: {err}"
        record.ended_at = record.ended_at or time.time()
        record.started_at = record.started_at or record.ended_at
        self.result.errors[record.id] = err
        return record

    def emit(
        self,
        name: Literal["scheduled", "started", "finished", "failed"],
        record: TraceRecord,
        **fields: Any,
    ) -> None:
        if self.on_event is not None:
            self.on_event(event(name, record, **fields))
