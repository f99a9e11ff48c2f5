"""Running one call: an inout tool on the loop or in a thread, a compute tool on the pool.

A compute call holds one of the machine-wide slots (`processes.slots`) while it runs: the
pool takes it for calls it runs, `_compute_here` for compute calls that run in this process
(the built-in `self` over a local model), so both count against one bound.

Every call, compute ones included, fires the tool callbacks (start, end, error)
in this process with the tool's tags and metadata, so LangSmith and any
callback handler see it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.callbacks import AsyncCallbackManager, AsyncCallbackManagerForToolRun
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool

from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.engine.tool_payload import (
    ToolArgumentsError,
    compute_payload,
    has_async_impl,
    has_sync_impl,
    validated_args,
)
from langchain_llmorch.errors import CallFailedError, CallTimeoutError, LLMOrchError
from langchain_llmorch.tools import COMPUTE, IN_PROCESS

CALL_CONFIG_KEY = "__llmorch_call_config"
"""A private `configurable` key holding a `CallConfigs`: each inout call's own config.

The durable agent sets it so a tool runs with the config of its call's LangGraph task
(its own `interrupt()` counter and resume values).
"""


class CallConfigs(Protocol):
    """Each inout call's own config, as `CALL_CONFIG_KEY` gives it to a run.

    Example:
        ```python
        class PerCall:
            def pending(self, cid: str) -> Future[Any] | None:
                return None  # every call's config is known at once

            def config(self, cid: str) -> RunnableConfig | None:
                return {"configurable": {"call": cid}}

        run = Orchestrator(tools).run(frg, config={"configurable": {CALL_CONFIG_KEY: PerCall()}})
        ```
    """

    def pending(self, cid: str) -> Future[Any] | None:
        """A future to wait for before call `cid` starts (until its config is known), or `None`.

        The call waits on the run's event loop, before it takes a thread, a slot or a
        limit, so a call waiting here holds back no other call.
        """

    def config(self, cid: str) -> RunnableConfig | None:
        """The config call `cid`'s tool runs with; `None` keeps the run's."""


if TYPE_CHECKING:
    from langchain_llmorch.engine.backend import ComputeExecutor, InoutThreads
    from langchain_llmorch.processes.slots import Limit, SlotGroup


class _ToolRaisedBaseError(Exception):
    """Carries a `KeyboardInterrupt` / `SystemExit` raised by an async tool's code."""


def _guard(coroutine: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wrap an async tool's function so `KeyboardInterrupt`/`SystemExit` it raises stay its own.

    LangChain runs the coroutine in a task of its own, and asyncio lets those two
    escape a task and stop the whole event loop: caught here, inside that task,
    they become an ordinary exception of the call. While the run is being
    cancelled (a real Ctrl-C under `asyncio.run`) they pass through.
    """

    @functools.wraps(coroutine)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return await coroutine(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit) as err:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise _ToolRaisedBaseError from err

    return guarded


class CallRunner:
    """Runs single calls for a `PlanRun`, filling in their trace records."""

    def __init__(
        self,
        tools: dict[str, BaseTool],
        threads: InoutThreads,
        executor: ComputeExecutor | None,
        call_timeout: float | None,
        config: RunnableConfig,
        *,
        prefer_sync: bool = False,
        slots: SlotGroup | None = None,
        slot_limit: Limit | None = None,
    ) -> None:
        self.prefer_sync = prefer_sync
        self.slots = slots
        self.slot_limit = slot_limit
        # RunnableConfig's max_concurrency bounds the inout calls running at once.
        limit = config.get("max_concurrency")
        self.inout_limit = asyncio.Semaphore(limit) if limit else None
        self.tools = tools
        self.threads = threads
        self.executor = executor
        self.call_timeout = call_timeout
        configurable = config.get("configurable") or {}
        self._call_config: CallConfigs | None = configurable.get(CALL_CONFIG_KEY)
        if self._call_config is not None:  # the hook is not handed on to the tools
            rest = {k: v for k, v in configurable.items() if k != CALL_CONFIG_KEY}
            config = {**config, "configurable": rest}
        self.config = config
        self._guarded_tools: dict[str, BaseTool] = {}

    def _config(self, record: TraceRecord) -> RunnableConfig:
        """The config an inout call's tool runs with: its own when one was given."""
        own = self._call_config.config(record.id) if self._call_config is not None else None
        return self.config if own is None else own

    def _pending(self, record: TraceRecord) -> Future[Any] | None:
        """What the call waits for before it starts (see `CallConfigs.pending`)."""
        if self._call_config is None:
            return None
        pending = self._call_config.pending(record.id)
        return None if pending is None or pending.done() else pending

    async def _own_config(self, record: TraceRecord) -> None:
        """Wait until the call's own config is known, when it has to (holding nothing)."""
        pending = self._pending(record)
        if pending is not None:  # shielded: a cancelled run leaves the future to its owner
            await asyncio.shield(asyncio.wrap_future(pending))

    def tool(self, name: str) -> BaseTool:
        """The tool named `name` (the built-in `join` included)."""
        try:
            return self.tools[name]
        except KeyError:
            hint = " (give the Orchestrator make_self_tool(model))" if name == "self" else ""
            msg = f"no tool named {name!r} was given to the orchestrator{hint}"
            raise LLMOrchError(msg) from None

    def threaded(self, record: TraceRecord) -> BaseTool | None:
        """The tool, when this call runs its sync implementation in a thread; else `None`.

        Such a call can go to the thread pool straight from the coordinator
        (`engine.direct`): an inout call of a known tool without an async implementation
        (or with a sync one in a sync run), and no `max_concurrency` in the run's config.
        """
        if record.kind == COMPUTE or self.inout_limit is not None:
            return None
        if self._pending(record) is not None:  # it waits for its config on the loop first
            return None
        tool = self.tools.get(record.tool)
        if tool is None or self._awaits(tool):
            return None
        return tool

    def _awaits(self, tool: BaseTool) -> bool:
        """Whether a call of `tool` awaits its async implementation (else: a thread)."""
        return has_async_impl(tool) and not (self.prefer_sync and has_sync_impl(tool))

    def submit_threaded(
        self,
        tool: BaseTool,
        record: TraceRecord,
        args: dict[str, Any],
        on_start: Callable[[TraceRecord], None],
    ) -> Future[Any]:
        """Start a `threaded` call in the thread pool; its future holds the tool's outcome."""
        record.started_at = time.time()
        on_start(record)
        return self.threads.submit(
            contextvars.copy_context().run, tool.invoke, args, self._config(record)
        )

    def threaded_value(self, record: TraceRecord, future: Future[Any]) -> Any:
        """The value of a finished `threaded` call, or its error (a `BaseException` as a call's)."""
        record.ended_at = time.time()
        try:
            return future.result()
        except Exception:
            raise
        except BaseException as err:  # SystemExit, KeyboardInterrupt... raised by the tool's code
            msg = f"the tool raised {type(err).__name__}({err})"
            raise CallFailedError(record.id, record.tool, msg) from err

    def timed_out(self, record: TraceRecord) -> CallTimeoutError:
        """The error of a call that ran past `call_timeout`."""
        msg = f"{record.id} ({record.tool}) ran past call_timeout={self.call_timeout}s"
        return CallTimeoutError(msg)

    async def call(
        self,
        record: TraceRecord,
        args: dict[str, Any],
        *,
        priority: float,
        on_start: Callable[[TraceRecord], None],
    ) -> Any:
        """Run one call (in a worker process when it is compute) and return its result."""
        tool = self.tool(record.tool)
        if record.kind == COMPUTE:
            if (tool.metadata or {}).get(IN_PROCESS):
                return await self._compute_here(tool, record, args, priority, on_start)
            return await self._compute(tool, record, args, priority, on_start)
        return await self._inout(tool, record, args, on_start)

    async def _compute_here(
        self,
        tool: BaseTool,
        record: TraceRecord,
        args: dict[str, Any],
        priority: float,
        on_start: Callable[[TraceRecord], None],
    ) -> Any:
        """A compute call that runs in this process: it waits for a machine-wide slot first."""
        if self.slots is None:
            return await self._inout(tool, record, args, on_start)
        slot = await self.slots.acquire(priority=priority, limit=self.slot_limit)
        try:  # `processor` stays None: no pool worker, no pinned core
            return await self._inout_now(tool, record, args, on_start)
        finally:
            await self.slots.arelease(slot)

    async def _inout(
        self,
        tool: BaseTool,
        record: TraceRecord,
        args: dict[str, Any],
        on_start: Callable[[TraceRecord], None],
    ) -> Any:
        await self._own_config(record)
        if self.inout_limit is not None:
            async with self.inout_limit:
                return await self._inout_now(tool, record, args, on_start)
        return await self._inout_now(tool, record, args, on_start)

    async def _inout_now(
        self,
        tool: BaseTool,
        record: TraceRecord,
        args: dict[str, Any],
        on_start: Callable[[TraceRecord], None],
    ) -> Any:
        record.started_at = time.time()
        on_start(record)
        try:
            if self._awaits(tool):
                guarded = self._guarded(tool)
                return await self._in_time(guarded.ainvoke(args, self._config(record)), record)
            ctx = contextvars.copy_context()
            future = self.threads.submit(ctx.run, tool.invoke, args, self._config(record))
            try:
                return await self._in_time(asyncio.wrap_future(future), record)
            except BaseException:
                if not future.done():  # timed out or cancelled: the thread is given up
                    self.threads.abandon(future)
                raise
        except _ToolRaisedBaseError as err:
            msg = f"the tool raised {type(err.__cause__).__name__}({err.__cause__})"
            raise CallFailedError(record.id, record.tool, msg) from err.__cause__
        except (KeyboardInterrupt, SystemExit, GeneratorExit) as err:
            # Raised by the tool's code. A real Ctrl-C reaches a run as a cancellation
            # (asyncio.run turns SIGINT into one), and then the run's task is cancelling.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            msg = f"the tool raised {type(err).__name__}({err})"
            raise CallFailedError(record.id, record.tool, msg) from err
        finally:
            record.ended_at = time.time()

    def _guarded(self, tool: BaseTool) -> BaseTool:
        """The tool with its coroutine guarded (see `_guard`), made once per run."""
        if not isinstance(tool, StructuredTool) or tool.coroutine is None:
            return tool
        if tool.name not in self._guarded_tools:
            update = {"coroutine": _guard(tool.coroutine)}
            self._guarded_tools[tool.name] = tool.model_copy(update=update)
        return self._guarded_tools[tool.name]

    async def _in_time(self, awaitable: Awaitable[Any], record: TraceRecord) -> Any:
        """Await a call, failing it with `CallTimeoutError` past `call_timeout`."""
        if self.call_timeout is None:
            return await awaitable
        try:
            async with asyncio.timeout(self.call_timeout) as scope:
                return await awaitable
        except TimeoutError as err:
            if not scope.expired():  # the tool's own TimeoutError
                raise
            raise self.timed_out(record) from err

    async def _compute(
        self,
        tool: BaseTool,
        record: TraceRecord,
        args: dict[str, Any],
        priority: float,
        on_start: Callable[[TraceRecord], None],
    ) -> Any:
        if self.executor is None:  # pragma: no cover - arun always provides one
            msg = "no compute executor"
            raise LLMOrchError(msg)
        fn, kwargs = compute_payload(tool, args)
        manager = await self._tool_start(tool, args)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # listeners (a graph's stream writer) need it

        def started(pid: int, processor: int) -> None:  # on a pool thread
            def announce() -> None:
                record.pid, record.processor, record.started_at = pid, processor, time.time()
                on_start(record)

            loop.call_soon_threadsafe(announce, context=context)

        future = None
        try:
            future = self.executor.submit(
                fn, (), kwargs, priority=priority, timeout=self.call_timeout, on_start=started
            )
            outcome = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if future is not None:
                self.executor.abort(future)
            raise
        except BaseException as err:
            record.ended_at = time.time()
            await manager.on_tool_error(err)
            raise
        record.processor, record.pid = outcome.processor, outcome.pid
        record.node = getattr(outcome, "node", None)
        record.started_at, record.ended_at = outcome.started_at, outcome.ended_at
        await manager.on_tool_end(outcome.value)
        return outcome.value

    async def _tool_start(
        self, tool: BaseTool, args: dict[str, Any]
    ) -> AsyncCallbackManagerForToolRun:
        config = self.config
        manager = AsyncCallbackManager.configure(
            config.get("callbacks"),
            tool.callbacks,
            verbose=tool.verbose,
            inheritable_tags=config.get("tags"),
            local_tags=tool.tags,
            inheritable_metadata=config.get("metadata"),
            local_metadata=tool.metadata,
        )
        return await manager.on_tool_start(
            {"name": tool.name, "description": tool.description},
            str(args),
            name=config.get("run_name") or tool.name,
            inputs=args,
        )


__all__ = [
    "CALL_CONFIG_KEY",
    "CallConfigs",
    "CallRunner",
    "ToolArgumentsError",
    "compute_payload",
    "has_async_impl",
    "validated_args",
]
