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
  `policy="dataflow"` hands every ready compute call to the pool with the
  priority chosen by `scheduling.choose_order`; `policy="paper"` follows
  Algorithm 3 as written: FIFO sets, inout first, the first |spare| mutually
  exclusive calls, the rest re-queued at the front, and nothing new starts while
  no processor is spare.
- Calls that hold resources or run in order (`engine.admission`, FRG `demands` and
  `order_edges`) wait in a held list, best priority first, until their ordered predecessor
  has finished, their resources are free and (compute) a processor is; calls behind them
  go ahead. A plan without such calls never builds the list (nothing is locked).
- Every call leaves a `TraceRecord` with its processor, pid and epoch times, and what it
  waited for (`waiting_for`: `"processor"`, `"gpu"`, `"tool:search"`, `"order:s2"`).
- A call of a cacheable tool (`engine.cache`) looks its result up as soon as it is
  ready, before it queues: a hit (or an identical call in flight) finishes it as
  `cached` without a thread or a processor; a miss goes on as any call and stores
  its result.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import os
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.runnables import RunnableConfig

from langchain_llmorch.engine.admission import Gate, check_capacities
from langchain_llmorch.engine.backend import ComputeExecutor
from langchain_llmorch.engine.cache import Flight, Found, RunCache
from langchain_llmorch.engine.calls import CallRunner
from langchain_llmorch.engine.events import RunResult, StreamEvent, TraceRecord, event
from langchain_llmorch.engine.scheduling import choose_order
from langchain_llmorch.errors import DependencyFailedError
from langchain_llmorch.plan.expressions import ExpressionError, RunBudget, evaluate_args
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.tool_limits import ORDER_PREFIX, PROCESSOR
from langchain_llmorch.tools import COMPUTE, JOIN_TOOL

if TYPE_CHECKING:
    from langchain_llmorch.engine.orchestrator import Orchestrator

EventSink = Callable[[StreamEvent], None]
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
        self.sets: list[list[str]] = []  # paper policy: FIFO sets of scheduled calls
        self.running_compute = 0
        self.ready_compute: list[tuple[float, int, str]] = []  # dataflow: heap by priority
        self.arrivals = itertools.count()
        self.records: dict[str, TraceRecord] = {}
        self.finished: asyncio.Queue[asyncio.Task[Any]] = asyncio.Queue()
        self.position = {cid: i for i, cid in enumerate(frg.calls)}
        self.budget = RunBudget()  # what the calls' arguments may build, all together
        self.resources = orch.resource_pool
        self.gate: Gate | None = None  # opened when a call holds resources or runs in order
        self.held: list[tuple[float, int, str]] = []  # gated calls waiting, best first
        self.done = set(kept)  # finished calls: an ordered call waits for its predecessor here
        self.started: set[str] = set()
        self.dropped: set[str] = set()  # released, then skipped before they started
        self.cache = RunCache.for_run(orch.cache, orch.cache_policies, orch.cache_scope, config)
        self.looked_up: dict[str, dict[str, Any] | None] = {}  # cache misses: their arguments
        # Cache misses running: `complete` resolves each, so a call released by a look-up
        # must complete (or its outcome be cancelled), else its look-up task waits on.
        self.outcomes: dict[str, asyncio.Future[TraceRecord]] = {}

    # -- scheduler -----------------------------------------------------------------

    def choose_priorities(self) -> None:
        if self.policy == "paper":  # FIFO in plan order: nothing to simulate
            self.priority = {cid: float(i) for i, cid in enumerate(self.frg.calls)}
            self.result.schedule = "paper-fifo"
            return
        choice = choose_order(
            self.frg,
            self.durations.durations(self.frg),
            self.processors,
            capacities={**self.frg.limits, **self.resources.names()} if self.gate else None,
        )
        self.priority, self.result.schedule = choice.priority, choice.name

    async def execute(self, more: AsyncIterable[Extension] | None = None) -> RunResult:
        try:
            return await self._execute(more)
        finally:
            if self.gate is not None:
                self.gate.close()

    async def _execute(self, more: AsyncIterable[Extension] | None) -> RunResult:
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
            while self.tasks or self.held or (feeder is not None and not feeder.done()):
                task = await self.finished.get()
                if task is feeder:
                    task.result()  # the plan's stream failed: stop the run
                else:
                    cid = self.tasks.pop(task)
                    if (record := task.result()) is not None:  # None: a miss that ran as cid
                        self.complete(cid, record)
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
                self.done.add(cid)
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
        if not self.frg.constrained:
            return
        check_capacities(self.frg, self.resources.names())  # before any of its calls starts
        if self.gate is None:
            self.gate = Gate(self.resources, self.readmit)
            while self.ready_compute:  # a streamed plan that just became constrained
                self.held.append(heapq.heappop(self.ready_compute))
        self.gate.declare(self.frg)

    def gated(self, cid: str) -> bool:
        """Whether `cid` waits in the held list (it holds resources or runs in order)."""
        return bool(self.frg.demand(cid)) or self.frg.order_predecessor(cid) is not None

    def release(self, ready: list[str]) -> None:
        """Hand calls whose inputs are complete to the coordinator (they are scheduled)."""
        if self.cache is not None:
            ready = self.look_up_first(ready)
        for cid in ready:
            self.records[cid] = TraceRecord(
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
        if self.policy == "paper":
            if ready:
                self.sets.append(ready)
            self.coordinate()
        else:
            for cid in ready:
                if self.gate is not None and (self.frg.kind(cid) == COMPUTE or self.gated(cid)):
                    self.hold(cid)
                elif self.frg.kind(cid) == COMPUTE:
                    key = (self.priority.get(cid, 0.0), next(self.arrivals), cid)
                    heapq.heappush(self.ready_compute, key)
                else:
                    self.start(cid)
            self.dispatch()
        for cid in ready:  # after the first try to start them: the event says what they wait for
            record = self.records[cid]
            if cid in self.started:
                self.emit("scheduled", record)
                continue
            if not record.waiting_for:  # not held back by a gate: only processors are short
                record.waiting_for.append(PROCESSOR)
            self.emit("scheduled", record, waiting_for=list(record.waiting_for))

    def hold(self, cid: str) -> None:
        """Put a gated call in the held list, in priority order."""
        bisect.insort(self.held, (self.priority.get(cid, 0.0), next(self.arrivals), cid))

    def admit(self) -> None:
        """Start every held call whose order, resources and processor are free, best first.

        A call that cannot start stays held and the next one is tried: a call waiting for a
        GPU does not keep a call that needs only a processor from taking it.
        """
        if self.gate is None:
            return
        cap = self.capacity()
        still: list[tuple[float, int, str]] = []
        for key in self.held:
            cid = key[2]
            record = self.records[cid]
            before = self.frg.order_predecessor(cid)
            if before is not None and before not in self.done:
                waits = [ORDER_PREFIX + before]
            elif record.kind == COMPUTE and self.running_compute >= cap:
                waits = [PROCESSOR]
            else:
                waits = self.gate.take(cid, self.frg.demand(cid))
            if waits:
                record.waiting_for.extend(w for w in waits if w not in record.waiting_for)
                still.append(key)
            else:
                self.start(cid)
        self.held = still

    def readmit(self) -> None:
        """Another run gave resources back: try the held calls again."""
        if self.held:
            if self.policy == "paper":
                self.coordinate()
            else:
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
        if self.held:
            self.admit()
        while self.ready_compute and self.running_compute < self.capacity():
            _, _, cid = heapq.heappop(self.ready_compute)
            self.start(cid)

    def complete(self, cid: str, record: TraceRecord) -> None:
        self.result.trace.append(record)
        if (outcome := self.outcomes.pop(cid, None)) is not None and not outcome.done():
            outcome.set_result(record)  # the call's cache look-up stores its result
        if self.frg.kind(cid) == COMPUTE and not record.cached:
            self.running_compute -= 1
        if self.gate is not None:
            self.gate.give_back(cid)
        if record.status == "finished":
            self.done.add(cid)
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
            self.held = [key for key in self.held if key[2] not in self.dropped]

    # -- coordinator ---------------------------------------------------------------

    def coordinate(self) -> None:
        """Algorithm 3: dispatch FIFO sets while processors are spare."""
        if self.held:
            self.admit()
        while self.sets and self.capacity() - self.running_compute > 0:
            current = self.sets.pop(0)
            if self.gate is not None:  # calls with resources or order wait in the held list
                current = [c for c in current if c not in self.dropped]
                for cid in [c for c in current if self.gated(c)]:
                    self.hold(cid)
                    current.remove(cid)
                self.admit()
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
        self.started.add(cid)
        if record.kind == COMPUTE:
            self.running_compute += 1
        task = asyncio.ensure_future(self.invoke(cid, record))
        self.tasks[task] = cid
        task.add_done_callback(self.finished.put_nowait)

    async def invoke(self, cid: str, record: TraceRecord) -> TraceRecord:
        results = self.result.results
        try:
            args = self.looked_up.pop(cid, None)
            if args is None:
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
            waited = {"waiting_for": list(record.waiting_for)} if record.waiting_for else {}
            self.emit("started", record, pid=record.pid, args=args, **waited)

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

    # -- reusing results (engine.cache) --------------------------------------------

    def look_up_first(self, ready: list[str]) -> list[str]:
        """Start a cache look-up for each cacheable call; return the other calls.

        A call comes back here after its look-up missed: it then goes on as any call.
        """
        assert self.cache is not None  # only called with a cache
        rest = []
        for cid in ready:
            if cid in self.looked_up or self.frg.calls[cid].tool not in self.cache.policies:
                rest.append(cid)
                continue
            self.looked_up[cid] = None
            task = asyncio.ensure_future(self.reuse(cid))
            self.tasks[task] = cid
            task.add_done_callback(self.finished.put_nowait)
        return rest

    async def reuse(self, cid: str) -> TraceRecord | None:
        """A cacheable call: finish it with a reused result, or run it and store the result.

        Returns the call's record when reused; `None` when it ran (its own task completes it).
        """
        assert self.cache is not None  # only called with a cache
        call = self.frg.calls[cid]
        try:
            args = evaluate_args(self.frg.bound_args[cid], self.result.results, run=self.budget)
        except Exception:  # `invoke` evaluates them again and fails the call
            self.release([cid])
            return None
        key = self.cache.key(self.runner.tool(call.tool), args)
        if key is None:  # arguments without a stable form: the call just runs
            self.looked_up[cid] = args
            self.release([cid])
            return None
        now = time.time()
        record = TraceRecord(
            id=cid,
            tool=call.tool,
            kind=self.frg.kind(cid),
            processor=None,
            pid=os.getpid(),
            scheduled_at=now,
            started_at=now,
            ended_at=0.0,
            status="finished",
            attempt=self.attempts.get(cid, 1),
            cached=True,
        )
        announced = False

        def announce() -> None:  # waiting for an identical call, or reused at once
            nonlocal announced
            if not announced:
                announced = True
                self.emit("scheduled", record)
                self.emit("started", record, pid=record.pid, args=args)

        try:
            found = await self.cache.find(key, call.tool, on_wait=announce)
        except Exception as err:  # the identical call this one waited for failed
            announce()
            return self.fail(record, err)
        if isinstance(found, Found):
            announce()
            return self.reused(record, found.value)
        await self.lead(cid, args, found)
        return None

    def reused(self, record: TraceRecord, value: Any) -> TraceRecord:
        """Finish a call with a result it did not compute."""
        if self.on_result is not None:
            try:
                self.on_result(record.id, value)
            except Exception as err:  # the hook's error fails this call only
                return self.fail(record, err)
        self.result.results[record.id] = value
        record.ended_at = time.time()
        return record

    async def lead(self, cid: str, args: dict[str, Any], flight: Flight) -> None:
        """Run a call no cache holds, then store its result for identical calls."""
        outcome: asyncio.Future[TraceRecord] = asyncio.get_running_loop().create_future()
        self.outcomes[cid] = outcome
        self.looked_up[cid] = args
        try:
            self.release([cid])
            record = await outcome
        except BaseException:
            flight.abandon()
            raise
        if record.status == "finished":
            await flight.land(self.result.results[cid])
        else:
            flight.fail(self.result.errors[cid])
