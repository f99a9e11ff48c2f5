"""Running an FRG: the `Orchestrator`, which owns the tools, the worker pool and the options.

Each `run`/`arun` is one `PlanRun` (in `engine._coordinator`, whose docstring draws how a
call flows: the scheduler, the coordinator, the event loop, the threads and the pool).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.cache.base import BaseCache
from langgraph.types import CachePolicy

from langchain_llmorch.engine._coordinator import Extension, PlanRun, ResultHook
from langchain_llmorch.engine.admission import Capacities, check_capacities
from langchain_llmorch.engine.backend import (
    DEFAULT_MAX_THREADS,
    ComputeExecutor,
    run_sync,
    thread_pool,
)
from langchain_llmorch.engine.cache import cache_policies, check_scope, namespace, process_cache
from langchain_llmorch.engine.events import EventSink, RunResult
from langchain_llmorch.engine.load import LoadMonitor
from langchain_llmorch.engine.scheduling import DurationModel
from langchain_llmorch.errors import OptionTypeError, OptionValueError
from langchain_llmorch.plan.frg import FRG
from langchain_llmorch.processes import pool as _pool
from langchain_llmorch.processes.slots import Limit, SlotGroup, machine_slots
from langchain_llmorch.tool_limits import check_amounts
from langchain_llmorch.tools import COMPUTE, IN_PROCESS, tool_kind, tools_by_name

Policy = Literal["dataflow", "paper"]


def _check_options(policy: Any, max_processors: Any, call_timeout: Any) -> None:
    if policy not in ("dataflow", "paper"):
        msg = f"policy must be 'dataflow' or 'paper', not {policy!r}"
        raise OptionValueError(msg)
    if max_processors is not None:
        if not isinstance(max_processors, int) or isinstance(max_processors, bool):
            msg = f"max_processors must be an int or None, not {max_processors!r}"
            raise OptionTypeError(msg)
        if max_processors < 1:
            msg = f"max_processors must be at least 1, not {max_processors}"
            raise OptionValueError(msg)
    if call_timeout is not None:
        if not isinstance(call_timeout, int | float) or isinstance(call_timeout, bool):
            msg = f"call_timeout must be a number of seconds or None, not {call_timeout!r}"
            raise OptionTypeError(msg)
        if call_timeout <= 0:
            msg = f"call_timeout must be positive, not {call_timeout}"
            raise OptionValueError(msg)


__all__ = ["EventSink", "Extension", "Orchestrator", "Policy", "ResultHook"]

# One model of tool durations for the whole process, so every agent learns from every run.
_SHARED_DURATIONS = DurationModel()


class Orchestrator:
    """Executes an FRG: inout calls overlap, compute calls run on at most P processes.

    Args:
        tools: the tools the plan may call (`self` is one of them when the plan uses it).
            An agent given an orchestrator binds its own tools (`bind_tools`), so an
            orchestrator built for an agent needs none.
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
        resources: capacities of named resources (`{"gpu": 1, "mem_gb": 16}`) that tools
            declare with `compute(tool, resources=...)` / `inout(tool, resources=...)`. A call
            starts only when what it declares is free; the orchestrator's runs (and the
            agents given it) share them. A call that needs a resource not given here, or
            more than its capacity, is a `PlanValidationError` before the run starts.
        cache: where the results of cacheable tools (`inout(tool, cache=CachePolicy(...))`)
            are kept: a LangGraph cache backend (`InMemoryCache`, `SqliteCache` shared by
            the processes of a machine, `RedisCache` beyond). `None`: one in-memory cache
            per process. A cached call finishes without running (`TraceRecord.cached`).
        cache_scope: the part of every cache key the application chooses (e.g. the user,
            when results must not cross users); a run's
            `config["configurable"]["llmorch_cache_scope"]` replaces it.

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

        @compute(resources={"gpu": 1})
        def render(scene: str) -> str:
            \"\"\"Render on the GPU.\"\"\"
            return scene

        engine = Orchestrator([render], max_processors=2, resources={"gpu": 1})
        ```
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]] | Mapping[str, BaseTool] = (),
        max_processors: int | None = None,
        policy: Policy = "dataflow",
        executor: ComputeExecutor | None = None,
        call_timeout: float | None = None,
        *,
        max_threads: int = DEFAULT_MAX_THREADS,
        durations: DurationModel | None = None,
        respect_load: bool = False,
        slot_group: str | None = None,
        resources: Mapping[str, float] | None = None,
        cache: BaseCache[Any] | None = None,
        cache_scope: str = "",
    ) -> None:
        """Create an orchestrator; the worker pool starts on first use."""
        _check_options(policy, max_processors, call_timeout)
        if cache is not None and not isinstance(cache, BaseCache):
            msg = f"cache must be a langgraph.cache.base.BaseCache or None, not {cache!r}"
            raise OptionTypeError(msg)
        self._cache = cache
        self.cache_scope = check_scope(cache_scope, "cache_scope")
        capacities = {} if resources is None else check_amounts(resources, what="resources")
        self.resource_pool = Capacities(capacities)
        self.tools = dict(tools) if isinstance(tools, Mapping) else tools_by_name(tools)
        self._cache_policies = cache_policies(self.tools)
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

    def bind_tools(self, tools: Sequence[BaseTool] | Mapping[str, BaseTool]) -> Orchestrator:
        """This orchestrator's engine (options, pool, duration model) for other tools.

        What an agent does with the `Orchestrator` it is given: the copy shares the worker
        pool, the threads and the learned durations, and runs the agent's tools.

        Example:
            ```python
            engine = Orchestrator(max_processors=2, call_timeout=30)
            agent = create_llmorch_agent(model, tools, orchestrator=engine)
            ```
        """
        bound = copy.copy(self)
        bound.tools = dict(tools) if isinstance(tools, Mapping) else tools_by_name(tools)
        bound._cache_policies = cache_policies(bound.tools)  # noqa: SLF001 - a copy of this class
        bound._lock = threading.Lock()  # noqa: SLF001 - a copy of this class
        return bound

    @property
    def resources(self) -> dict[str, float]:
        """The named resources' capacities (`resources=`)."""
        return self.resource_pool.names()

    def check(self, frg: FRG) -> None:
        """Raise `PlanValidationError` when a call of `frg` needs more than the capacities.

        Runs do this before any call starts; call it to check a plan earlier.

        Example:
            ```python
            engine = Orchestrator([render], resources={"gpu": 1})
            engine.check(frg)  # a call needing {"gpu": 2}: PlanValidationError
            ```
        """
        check_capacities(frg, self.resources)

    @property
    def cache(self) -> BaseCache[Any]:
        """The backend of the tool-result cache (this process's in-memory one by default)."""
        return self._cache if self._cache is not None else process_cache()

    @property
    def cache_policies(self) -> dict[str, CachePolicy[Any]]:
        """Tool name -> `CachePolicy`, for this orchestrator's cacheable tools."""
        return self._cache_policies

    def clear_cache(self, *, tool: str | None = None, scope: str | None = None) -> None:
        """Forget cached tool results.

        With neither argument, the whole backend is cleared (everything in it, also
        what other programs stored there). With `tool` and/or `scope`, only the results
        of that tool (default: every cacheable tool of this orchestrator) in that scope
        (default: `cache_scope`).

        Example:
            ```python
            engine = Orchestrator([search], cache=SqliteCache(path="tools.db"))
            engine.clear_cache(scope="alice")  # alice's results of every cacheable tool
            engine.clear_cache()  # everything
            ```
        """
        self.cache.clear(self._cleared(tool, scope))

    async def aclear_cache(self, *, tool: str | None = None, scope: str | None = None) -> None:
        """`clear_cache` for async code."""
        await self.cache.aclear(self._cleared(tool, scope))

    def _cleared(self, tool: str | None, scope: str | None) -> list[tuple[str, ...]] | None:
        if tool is None and scope is None:
            return None
        where = self.cache_scope if scope is None else check_scope(scope, "scope")
        names = list(self._cache_policies) if tool is None else [tool]
        return [namespace(where, name) for name in names]

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
        if frg.demands:  # before the pool starts: a call that could never start is an error
            check_capacities(frg, self.resources)
        uses_compute = any(frg.kind(c) == COMPUTE for c in frg.calls if c not in (results or {}))
        executor = self.executor if uses_compute else None
        run = PlanRun(
            self,
            frg,
            executor,
            results or {},
            attempts or {},
            on_event,
            config or {},
            prefer_sync=prefer_sync,
            on_result=on_result,
        )
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
        run = PlanRun(
            self,
            frg,
            executor,
            known,
            attempts or {},
            on_event,
            config or {},
            prefer_sync=prefer_sync,
            on_result=on_result,
        )
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
