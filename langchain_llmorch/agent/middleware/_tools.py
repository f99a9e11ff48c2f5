"""The tools the middleware hands to `ToolNode` in place of the app's own.

`ToolNode` keeps doing what it does with them (argument validation, injected arguments,
callbacks and stream events, error handling); only where the call runs changes:

- a `compute` tool becomes a copy whose function sends the original function and the
  validated arguments to a warm worker process (the pool takes a machine-wide slot,
  kills the worker past `call_timeout`, and a crash fails only this call);
- a sync-only `inout` tool called by an async agent becomes a copy whose coroutine runs
  the original in LLMOrch's inout threads, where a call that times out is abandoned
  (bounded, daemon threads) instead of holding a thread of the event loop's executor.

A compute tool must cross a process: arguments the model does not write (`InjectedState`,
`InjectedStore`, `InjectedToolCallId`, `ToolRuntime`, a `config` or `callbacks`
parameter) and async-only or unpicklable functions are refused with `ComputeToolError`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import cloudpickle
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool

from langchain_llmorch.engine.backend import ComputeExecutor, InoutThreads
from langchain_llmorch.errors import LLMOrchError
from langchain_llmorch.processes.records import CallOutcome
from langchain_llmorch.tools import COMPUTE, IN_PROCESS, tool_kind

Started = tuple[dict[str, Any], "Future[CallOutcome]"]
"""A compute call sent to the pool before its tool task ran: its kwargs and its future."""


class ComputeToolError(LLMOrchError, TypeError):
    """A `compute` tool cannot run in a worker process (see `LLMOrchMiddleware`).

    Example:
        ```python
        from typing import Annotated
        from langchain.tools import InjectedState
        from langchain_llmorch import LLMOrchMiddleware, compute
        from langchain_llmorch.agent.middleware import ComputeToolError

        @compute
        def count(state: Annotated[dict, InjectedState]) -> int:
            \"\"\"How many messages.\"\"\"
            return len(state["messages"])

        try:
            LLMOrchMiddleware(tools=[count])
        except ComputeToolError as err:
            print(err)
        ```
    """


def is_pool_tool(tool: BaseTool) -> bool:
    """True for a `compute` tool that runs on the worker pool (not pinned to this process)."""
    return tool_kind(tool) == COMPUTE and not (tool.metadata or {}).get(IN_PROCESS)


def _model_fields(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        return set(schema.get("properties", {}))
    fields = getattr(schema, "model_fields", None)
    return set(fields or {})


def _not_written_by_the_model(tool: BaseTool) -> list[str]:
    """Parameters the tool's function gets from elsewhere than the model's arguments."""
    written = _model_fields(tool.tool_call_schema)
    if isinstance(tool, StructuredTool) and tool.func is not None:
        params = inspect.signature(tool.func).parameters.values()
        plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return [p.name for p in params if p.kind in plain and p.name not in written]
    return sorted(_model_fields(tool.get_input_schema()) - written)


def shipped_function(tool: BaseTool) -> Callable[..., Any]:
    """What goes to the worker: the tool's function (a custom tool's bound `_run`)."""
    if isinstance(tool, StructuredTool):
        if tool.func is None:
            msg = (
                f"compute tool {tool.name!r} has only an async function; a worker process "
                "runs a plain function: give the tool a sync implementation"
            )
            raise ComputeToolError(msg)
        return tool.func
    return tool._run  # noqa: SLF001 - a custom BaseTool: its bound _run goes to the worker


def check_compute_tool(tool: BaseTool) -> None:
    """Raise `ComputeToolError` unless `tool` can run in a worker process.

    Raises:
        ComputeToolError: the tool takes injected arguments, is async-only, or its
            function does not pickle.
    """
    injected = _not_written_by_the_model(tool)
    if injected:
        msg = (
            f"compute tool {tool.name!r} takes {', '.join(injected)}, which the agent injects "
            "(state, store, runtime, tool call id, config or callbacks): these stay in the "
            "agent's process and cannot reach a worker process. Pass the values the tool "
            "needs as ordinary arguments, or tag the tool `inout` to run it in the agent."
        )
        raise ComputeToolError(msg)
    function = shipped_function(tool)
    try:
        cloudpickle.dumps(function)
    except Exception as err:
        msg = f"compute tool {tool.name!r}: its function cannot be sent to a worker: {err}"
        raise ComputeToolError(msg) from err


@dataclass
class PoolCall:
    """Where and when one compute call ran (filled in as it finishes)."""

    pid: int | None = None
    processor: int | None = None
    started_at: float | None = None
    ended_at: float | None = None

    def as_metadata(self) -> dict[str, Any]:
        """The record as the `llmorch` entry of a `ToolMessage`'s `response_metadata`."""
        return {
            "kind": COMPUTE,
            "pid": self.pid,
            "processor": self.processor,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }


def _copy_with(tool: BaseTool, func: Callable[..., Any], coroutine: Callable[..., Any]) -> BaseTool:
    """The tool as ToolNode knows it, with `func`/`coroutine` doing the running."""
    if isinstance(tool, StructuredTool):
        return tool.model_copy(update={"func": func, "coroutine": coroutine})
    return StructuredTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema or tool.get_input_schema(),
        func=func,
        coroutine=coroutine,
        return_direct=tool.return_direct,
        verbose=tool.verbose,
        callbacks=tool.callbacks,
        tags=tool.tags,
        metadata=tool.metadata,
        handle_tool_error=tool.handle_tool_error,
        handle_validation_error=tool.handle_validation_error,
        response_format=tool.response_format,
    )


def pool_tool(
    tool: BaseTool,
    pool: Callable[[], ComputeExecutor],
    apool: Callable[[], Any],
    timeout: float | None,
    record: PoolCall,
    started: Started | None = None,
) -> BaseTool:
    """A copy of compute `tool` that runs its function on the worker pool.

    Args:
        tool: the app's compute tool (already checked).
        pool: returns the started pool (sync callers).
        apool: awaitable twin of `pool` (starts it off the event loop).
        timeout: seconds a call may run before its worker is killed.
        record: filled with the worker's pid, core and times when the call ends.
        started: the call, already sent to the pool while its plan streamed, as
            `(kwargs, future)`: awaited instead of a new submission when the call's
            arguments are those kwargs, aborted otherwise.
    """
    function = shipped_function(tool)

    def submit(executor: ComputeExecutor, args: Any, kwargs: Any) -> Future[CallOutcome]:
        if started is not None:
            early_kwargs, future = started
            if not args and kwargs == early_kwargs:
                return future
            executor.abort(future)  # edited since it started: run the call as it is now
        return executor.submit(function, args, kwargs, timeout=timeout)

    def note(outcome: Any) -> Any:
        record.pid, record.processor = outcome.pid, outcome.processor
        record.started_at, record.ended_at = outcome.started_at, outcome.ended_at
        return outcome.value

    def run_on_pool(*args: Any, **kwargs: Any) -> Any:
        executor = pool()
        future = submit(executor, args, kwargs)
        try:
            outcome = future.result()
        except BaseException:
            executor.abort(future)  # a no-op once the call ended
            raise
        return note(outcome)

    async def arun_on_pool(*args: Any, **kwargs: Any) -> Any:
        executor = await apool()
        future = submit(executor, args, kwargs)
        try:
            outcome = await asyncio.wrap_future(future)
        except BaseException:
            executor.abort(future)  # cancelled: kill the worker, give the slot back
            raise
        return note(outcome)

    return _copy_with(tool, run_on_pool, arun_on_pool)


def threaded_tool(tool: StructuredTool, threads: InoutThreads) -> StructuredTool:
    """A copy of a sync-only inout tool whose coroutine runs it in `threads`.

    When the awaiting task is cancelled (the call timed out), the thread is abandoned:
    it finishes on its own and its result is dropped; `threads` bounds how many such
    threads exist at once, and they are daemons.
    """

    async def run_in_thread(*args: Any, config: RunnableConfig, **kwargs: Any) -> Any:
        context = contextvars.copy_context()
        run = tool._run  # noqa: SLF001 - StructuredTool's own sync path (config injection)
        future = threads.submit(context.run, run, *args, config=config, **kwargs)
        try:
            return await asyncio.wrap_future(future)
        except BaseException:
            if not future.done():
                threads.abandon(future)
            raise

    return tool.model_copy(update={"coroutine": run_in_thread})


@dataclass
class Captured:
    """The raw value a tool returned (before ToolNode makes a message of it)."""

    value: Any = None
    has_value: bool = False

    def keep(self, value: Any) -> Any:
        """Keep `value` and pass it on."""
        self.value, self.has_value = value, True
        return value


def capturing_tool(tool: BaseTool, box: Captured) -> BaseTool:
    """A copy of `tool` that keeps what its function returns in `box` (StructuredTools)."""
    if not isinstance(tool, StructuredTool):
        return tool
    update: dict[str, Any] = {}
    if tool.func is not None:
        func = tool.func

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            return box.keep(func(*args, **kwargs))

        update["func"] = run
    if tool.coroutine is not None:
        coroutine = tool.coroutine

        @functools.wraps(coroutine)
        async def arun(*args: Any, **kwargs: Any) -> Any:
            return box.keep(await coroutine(*args, **kwargs))

        update["coroutine"] = arun
    return tool.model_copy(update=update)


def needs_own_thread(tool: BaseTool) -> bool:
    """A StructuredTool with a sync function only (an async agent would use a loop thread)."""
    return isinstance(tool, StructuredTool) and tool.func is not None and tool.coroutine is None


__all__ = [
    "Captured",
    "ComputeToolError",
    "PoolCall",
    "Started",
    "capturing_tool",
    "check_compute_tool",
    "is_pool_tool",
    "needs_own_thread",
    "pool_tool",
    "shipped_function",
    "threaded_tool",
]
