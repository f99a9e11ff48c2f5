"""One execution of an FRG: the call scheduler and the execution coordinator.

How a call flows (one `PlanRun` per `Orchestrator.arun`, all on one asyncio event loop):

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
  When a ready call starts is the run's policy (`engine.policies`): `"dataflow"`, best
  priority first, or `"paper"`, Algorithm 3 as written.
- Calls that hold resources or run in order (FRG `demands` and `order_edges`) wait in the
  run's `engine.gating.HeldCalls`, best priority first, until their ordered predecessor
  has finished, their resources are free (`engine.admission`) and (compute) a processor
  is; calls behind them go ahead. A plan without such calls never opens the gate.
- Every call leaves a `TraceRecord` with its processor, pid and epoch times, and what it
  waited for (`waiting_for`: `"processor"`, `"gpu"`, `"tool:search"`, `"order:s2"`).
- A call of a cacheable tool (`engine.cache`) looks its result up as soon as it is
  ready, before it queues (`engine.reuse.Reuse`): a hit (or an identical call in flight)
  finishes it as `cached` without a thread or a processor; a miss goes on as any call
  and stores its result.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterable, Callable, Coroutine, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.runnables import RunnableConfig

from langchain_llmorch.engine.backend import ComputeExecutor
from langchain_llmorch.engine.cache import RunCache
from langchain_llmorch.engine.calls import CallRunner
from langchain_llmorch.engine.direct import DirectCalls
from langchain_llmorch.engine.events import (
    EventSink,
    RunResult,
    TraceRecord,
    event,
    started_announcer,
)
from langchain_llmorch.engine.gating import HeldCalls
from langchain_llmorch.engine.policies import DataflowPolicy, PaperPolicy, Policy
from langchain_llmorch.engine.reuse import Reuse
from langchain_llmorch.errors import DependencyFailedError
from langchain_llmorch.plan.expressions import ExpressionError, RunBudget, evaluate_args
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tool_limits import PROCESSOR
from langchain_llmorch.tools import COMPUTE, JOIN_TOOL

if TYPE_CHECKING:
    from langchain_llmorch.engine.orchestrator import Orchestrator

ResultHook = Callable[[str, Any], None]
"""Called with `(call id, result)` as each call finishes; raising fails that call."""
Extension = tuple[FRG, Mapping[str, Any]]
"""A plan streamed so far (each FRG extends the previous one: same calls first) and
results already known for its new calls (restored from a checkpoint)."""


class PlanRun:
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
        *,
        prefer_sync: bool,
        on_result: ResultHook | None,
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
        # A sync run gets a fresh event loop: tools with a sync implementation run in
        # threads, so clients bound to another loop (an async HTTP pool) are never reused.
        self.runner.prefer_sync = prefer_sync
        self.on_event = on_event
        self.on_result = on_result
        self.result = RunResult(results=dict(kept), started_at=time.time())
        self.todo = [cid for cid in frg.calls if cid not in kept]
        self.waiting = {cid: sum(1 for p in frg.parents(cid) if p not in kept) for cid in self.todo}
        self.tasks: dict[asyncio.Task[Any], str] = {}
        self.priority: Mapping[str, float] = {}
        self.running_compute = 0
        self.arrivals = itertools.count()
        self.records: dict[str, TraceRecord] = {}
        # Finished calls: their tasks, or the futures of direct calls (`engine.direct`).
        self.finished: asyncio.Queue[asyncio.Task[Any] | Future[Any]] = asyncio.Queue()
        self.direct: DirectCalls | None = None  # made on the run's loop
        self.position = {cid: i for i, cid in enumerate(frg.calls)}
        self.budget = RunBudget()  # what the calls' arguments may build, all together
        self.resources = orch.resource_pool
        self.queue: Policy = PaperPolicy(self) if self.policy == "paper" else DataflowPolicy(self)
        """When ready calls start (`engine.policies`)."""
        # Calls that hold resources or run in order (the gate opens for the first such call).
        self.held = HeldCalls(self.resources, self.queue.readmit)
        self.held.done.update(kept)
        self.started: set[str] = set()
        self.dropped: set[str] = set()  # released, then skipped before they started
        cache = RunCache.for_run(orch.cache, orch.cache_policies, orch.cache_scope, config)
        self.reuse = Reuse(cache, self, tool=self.runner.tool) if cache is not None else None

    # -- scheduler -----------------------------------------------------------------

    def choose_priorities(self) -> None:
        self.priority, self.result.schedule = self.queue.priorities()

    async def execute(self, more: AsyncIterable[Extension] | None = None) -> RunResult:
        try:
            return await self._execute(more)
        finally:
            self.held.close()

    async def _execute(self, more: AsyncIterable[Extension] | None) -> RunResult:
        direct = self.direct = DirectCalls(self.runner, deliver=self.finished.put_nowait)
        self.open_gate()
        if self.todo:
            self.choose_priorities()
        self.release([cid for cid in self.todo if self.waiting[cid] == 0])
        feeder = asyncio.create_task(self.follow(more)) if more is not None else None
        if feeder is not None:
            feeder.add_done_callback(self.finished.put_nowait)
        try:
            # Finished calls (and the plan's stream, when it ends) arrive on a queue, not
            # `asyncio.wait` over every task, whose cost grows with the calls in flight.
            # Held calls may wait for another run's resources: the run goes on with none
            # of its own calls running until `readmit` starts them.
            while self.tasks or direct or self.held or (feeder is not None and not feeder.done()):
                item = await self.finished.get()
                if isinstance(item, Future):
                    self.land(direct, item)
                elif item is feeder:
                    item.result()  # the plan's stream failed: stop the run
                else:
                    cid = self.tasks.pop(item)
                    if (record := item.result()) is not None:  # None: a miss that ran as cid
                        self.complete(cid, record)
            if feeder is not None:
                feeder.result()
        except BaseException:
            direct.abandon_all()
            for task in [*self.tasks, *([feeder] if feeder else [])]:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            raise
        ends = [r.ended_at for r in self.result.trace]
        self.result.makespan = max(ends, default=self.result.started_at) - self.result.started_at
        return self.result

    def land(self, direct: DirectCalls, future: Future[Any]) -> None:
        """A direct call's thread is done (or its time is up): complete the call."""
        if (landed := direct.land(future)) is not None:
            cid, record, value, error = landed
            record = self.settle(record, value) if error is None else self.fail(record, error)
            self.complete(cid, record)

    async def follow(self, more: AsyncIterable[Extension]) -> None:
        """Take in calls as the plan streams (see `Orchestrator.arun_streaming`)."""
        async for frg, known in more:
            self.extend(frg, known)

    def extend(self, frg: FRG, known: Mapping[str, Any]) -> None:
        """Add the new calls of `frg` (a longer version of this run's plan)."""
        new = [cid for cid in frg.calls if cid not in self.frg.calls]
        self.frg = frg
        self.open_gate()
        for cid in new:
            self.position[cid] = len(self.position)
        # A call whose task has not been completed yet still counts as waited for,
        # even when its result is in: `complete` will count it down.
        running = set(self.tasks.values())
        ready = []
        for cid in new:
            if cid in known:
                self.result.results[cid] = known[cid]
                self.held.done.add(cid)
                continue
            parents = frg.parents(cid)
            before = frg.order_predecessor(cid)
            held_back = (*parents, before) if before is not None else parents
            if any(p in self.result.errors or p in self.result.skipped for p in held_back):
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

    def open_gate(self) -> None:
        """Open the run's gate once some call holds resources or runs in order."""
        if self.held.open_for(self.frg):
            self.queue.gate_opened()  # a streamed plan that just became constrained

    def new_record(self, cid: str, *, cached: bool = False) -> TraceRecord:
        """A fresh trace record of `cid`, scheduled now (and started, when `cached`)."""
        now = time.time()
        return TraceRecord(
            id=cid,
            tool=self.frg.calls[cid].tool,
            kind=self.frg.kind(cid),
            processor=None,
            pid=os.getpid(),
            scheduled_at=now,
            started_at=now if cached else 0.0,
            ended_at=0.0,
            status="finished",
            attempt=self.attempts.get(cid, 1),
            cached=cached,
        )

    def release(self, ready: list[str]) -> None:
        """Hand calls whose inputs are complete to the coordinator (they are scheduled)."""
        if self.reuse is not None:
            ready = self.reuse.split(ready)
        for cid in ready:
            self.records[cid] = self.new_record(cid)
        self.queue.release(ready)
        for cid in ready:  # after the first try to start them: the event says what they wait for
            record = self.records[cid]
            if cid in self.started:
                self.emit("scheduled", record)
                continue
            if not record.waiting_for:  # not held back by a gate: only processors are short
                record.waiting_for.append(PROCESSOR)
            self.emit("scheduled", record, waiting_for=list(record.waiting_for))

    def complete(self, cid: str, record: TraceRecord) -> None:
        self.result.trace.append(record)
        if self.reuse is not None:
            self.reuse.ran(cid, record)  # the call's cache look-up stores its result
        if self.frg.kind(cid) == COMPUTE and not record.cached:
            self.running_compute -= 1
        self.held.give_back(cid)
        if record.status == "finished":
            self.held.done.add(cid)
            if not record.cached:
                self.durations.observe(record.tool, record.duration)
            self.emit(
                "finished",
                record,
                pid=record.pid,
                started_at=record.started_at,
                ended_at=record.ended_at,
                result=self.result.results.get(cid),
                **({"cached": True} if record.cached else {}),
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
        """Skip what waits for a failed call.

        That is the data descendants still waiting for an input (directly or through other
        skipped calls), and the later calls of an ordered tool (which must not run before it).
        A call already released because its inputs exist (its parents' results were kept)
        is not skipped, unless it waits for its order behind the failed call.
        """
        doomed: set[str] = set()
        stack = [cid]
        while stack:
            current = stack.pop()
            after = self.frg.order_successor(current)
            for child in (*self.frg.children(current), *((after,) if after else ())):
                if child in doomed or child not in self.waiting or child in self.started:
                    continue
                if child != after and self.waiting[child] == 0:
                    continue  # released with every input it needs
                doomed.add(child)
                stack.append(child)
        for child in sorted(doomed, key=self.position.__getitem__):
            self.waiting.pop(child)
            self.result.skipped.append(child)
            if child in self.records:  # released, waiting for its order or resources
                self.dropped.add(child)
        if self.dropped and self.held:
            self.held.drop(self.dropped)

    # -- coordinator ---------------------------------------------------------------

    def start(self, cid: str) -> None:
        """Coordinate one scheduled call onto the loop, a thread or the pool."""
        record = self.records[cid]
        self.started.add(cid)
        if record.kind == COMPUTE:
            self.running_compute += 1
        elif self.direct is not None and (tool := self.runner.threaded(record)) is not None:
            args = self.prepare(cid, record)  # a sync tool: straight to a thread, no task
            if isinstance(args, TraceRecord):
                self.spawn(cid, _finished(args))
            else:
                announce = started_announcer(self.on_event, args, soon=True)
                self.direct.submit(cid, record, tool, args, on_start=announce)
            return
        self.spawn(cid, self.invoke(cid, record))

    def spawn(self, cid: str, work: Coroutine[Any, Any, TraceRecord | None]) -> None:
        """Run `work` as a task of `cid`; the record it returns (if any) completes `cid`."""
        task = asyncio.ensure_future(work)
        self.tasks[task] = cid
        task.add_done_callback(self.finished.put_nowait)

    def arguments(self, cid: str) -> dict[str, Any]:
        """The call's arguments, filled from the results so far."""
        return evaluate_args(self.frg.bound_args[cid], self.result.results, run=self.budget)

    def prepare(self, cid: str, record: TraceRecord) -> dict[str, Any] | TraceRecord:
        """The call's arguments; or its record, failed, when they cannot be computed."""
        try:
            args = self.reuse.arguments_of(cid) if self.reuse is not None else None
            return self.arguments(cid) if args is None else args
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

    async def invoke(self, cid: str, record: TraceRecord) -> TraceRecord:
        args = self.prepare(cid, record)
        if isinstance(args, TraceRecord):
            return args
        if record.tool == JOIN_TOOL:
            record.started_at = record.ended_at = time.time()
            self.result.results[cid] = None
            return record
        try:
            value = await self.runner.call(
                record,
                args,
                priority=self.priority.get(cid, 0.0),
                on_start=started_announcer(self.on_event, args),
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:
            return self.fail(record, err)
        return self.settle(record, value)

    def settle(self, record: TraceRecord, value: Any) -> TraceRecord:
        """Finish a call with its result (the result hook may still fail it)."""
        if self.on_result is not None:
            try:
                self.on_result(record.id, value)
            except Exception as err:  # the hook's error fails this call only
                return self.fail(record, err)
        self.result.results[record.id] = value
        record.ended_at = record.ended_at or time.time()
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


async def _finished(record: TraceRecord) -> TraceRecord:
    """A call that ended before it started (its arguments could not be computed)."""
    return record
