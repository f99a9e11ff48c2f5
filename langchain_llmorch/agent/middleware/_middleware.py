"""`LLMOrchMiddleware`: LLMOrch's tool execution inside LangChain 1.x `create_agent`.

Where a tool call goes (one `Send("tools", ...)` task per call; this middleware is
the innermost `wrap_tool_call`, so every other tool middleware sees the call first):

    request ──► compute tool? ──yes──► request.override(tool=<copy running on the pool>)
       │                                 └─► handler: ToolNode validates, injects, calls the
       │                                     copy (callbacks, stream events), whose function
       │                                     waits for a machine-wide slot and a warm worker
       no (inout)
       └─► max_concurrency place (threads and tasks share it)
             └─► call_timeout? ── sync agent: handler runs on an inout thread, abandoned
                                  past the timeout; async agent: asyncio.timeout around
                                  handler (a sync-only tool runs on an inout thread)

A call that times out, or whose worker crashed, becomes an error `ToolMessage`
(`status="error"`, `response_metadata["llmorch"]["error"]` names the error type); the
turn goes on. The tool's own exceptions are handled as `ToolNode` handles them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from langchain_llmorch.agent.middleware._limits import Limiter
from langchain_llmorch.agent.middleware._tools import (
    PoolCall,
    check_compute_tool,
    is_pool_tool,
    needs_own_thread,
    pool_tool,
    threaded_tool,
)
from langchain_llmorch.engine import Orchestrator
from langchain_llmorch.engine.backend import DEFAULT_MAX_THREADS, ComputeExecutor, thread_pool
from langchain_llmorch.errors import CallTimeoutError, UnpicklableCallError, WorkerCrashedError
from langchain_llmorch.tools import tools_by_name

ToolResult = ToolMessage | Command[Any]
ModelResult = ModelResponse[Any] | AIMessage | ExtendedModelResponse[Any]

CALL_FAILURES: tuple[type[Exception], ...] = (
    CallTimeoutError,
    WorkerCrashedError,
    UnpicklableCallError,
)
"""Failures of where a call ran, not of the tool: they become error `ToolMessage`s."""

METADATA_KEY = "llmorch"
"""Key of the middleware's entry in a `ToolMessage`'s `response_metadata`."""


def failed_message(request: ToolCallRequest, error: Exception) -> ToolMessage:
    """The error `ToolMessage` for a call that timed out or lost its worker."""
    call = request.tool_call
    return ToolMessage(
        content=f"Error: {type(error).__name__}: {error}",
        name=call["name"],
        tool_call_id=call["id"],
        status="error",
        response_metadata={METADATA_KEY: {"error": type(error).__name__}},
    )


def _with_record(result: ToolResult, record: PoolCall) -> ToolResult:
    if not isinstance(result, ToolMessage) or record.pid is None:
        return result
    metadata = {**result.response_metadata, METADATA_KEY: record.as_metadata()}
    return result.model_copy(update={"response_metadata": metadata})


class LLMOrchMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """LLMOrch inside `langchain.agents.create_agent`: CPU-aware tool execution, one line.

    Add it last in `middleware=[...]` (innermost, so the app's other tool middleware see
    each call first). `compute`-tagged tools then run on LLMOrch's warm worker processes,
    never more at once than the machine-wide P slots allow (every agent and process of the
    user shares them); `inout` tools keep `ToolNode`'s path, bounded by `max_concurrency`
    and `call_timeout`. `ToolNode`'s argument validation, injection, error handling,
    callbacks and stream events apply to both.

    Args:
        tools: the agent's tools, to check now that every compute tool can run in a worker
            process (no injected arguments, a sync function that pickles). Without them the
            tools are checked at the first model call, before any tool runs.
        max_processors: P for this agent's compute calls; `None`: the processors this
            process may use. It caps below the machine-wide bound, never above it.
        max_concurrency: inout calls running at once, across every run of the agent, sync
            and async alike (`None`: no bound). Compute calls are bounded by P instead.
        call_timeout: seconds a call may run. A compute call past it is killed with its
            worker; an inout call is given up (an async tool is cancelled; a sync tool's
            thread is abandoned: it finishes on its own, at most `max_threads` at once, as
            daemons, and its result is dropped). Either way the call's `ToolMessage` is an
            error naming `CallTimeoutError`, and the agent goes on.
        plan_first: `False` (default): the model calls tools turn by turn, as in any
            `create_agent` app. Plan-first mode arrives in a later release.
        max_threads: threads for sync inout calls under `call_timeout`.

    Raises:
        ComputeToolError: a compute tool in `tools` cannot run in a worker process.
        ValueError: an option is out of range.

    Example:
        ```python
        from langchain.agents import create_agent
        from langchain_llmorch import LLMOrchMiddleware, compute

        @compute
        def fib(n: int) -> int:
            \"\"\"The n-th Fibonacci number, slowly.\"\"\"
            return n if n < 2 else fib.func(n - 1) + fib.func(n - 2)

        agent = create_agent(
            "openai:gpt-4.1-mini",
            [fib],
            middleware=[LLMOrchMiddleware(max_concurrency=8, call_timeout=60)],
        )
        ```
    """

    def __init__(
        self,
        *,
        tools: Sequence[BaseTool | Callable[..., Any]] | None = None,
        max_processors: int | None = None,
        max_concurrency: int | None = None,
        call_timeout: float | None = None,
        plan_first: bool = False,
        max_threads: int = DEFAULT_MAX_THREADS,
    ) -> None:
        super().__init__()
        if max_concurrency is not None and max_concurrency < 1:
            msg = f"max_concurrency must be at least 1, not {max_concurrency}"
            raise ValueError(msg)
        if plan_first:
            msg = "plan_first=True is not available yet"
            raise NotImplementedError(msg)
        # The orchestrator validates max_processors and call_timeout and owns the pool.
        self._orchestrator = Orchestrator(
            [], max_processors=max_processors, call_timeout=call_timeout
        )
        self.call_timeout = call_timeout
        self.plan_first = plan_first
        self._limit = Limiter(max_concurrency) if max_concurrency is not None else None
        self._threads = thread_pool(max_threads)
        self._checked: dict[str, BaseTool] = {}
        self._check_lock = threading.Lock()
        self._pool_ready = False
        if tools is not None:
            self._check_tools(tools_by_name(tools).values())

    # --- public helpers ---------------------------------------------------------------

    @property
    def processors(self) -> int:
        """P: how many of this agent's compute calls run at once (at most)."""
        return self._orchestrator.processors

    @property
    def max_concurrency(self) -> int | None:
        """The bound on inout calls running at once (`None`: none)."""
        return None if self._limit is None else self._limit.size

    def warm(self) -> None:
        """Start the worker processes now, before the first compute call is due."""
        self._pool()

    # --- tools ------------------------------------------------------------------------

    def _check_tools(self, tools: Any) -> None:
        for tool in tools:
            if isinstance(tool, BaseTool) and is_pool_tool(tool):
                self._check(tool)

    def _check(self, tool: BaseTool) -> None:
        if self._checked.get(tool.name) is tool:
            return
        check_compute_tool(tool)  # raises ComputeToolError
        with self._check_lock:
            self._checked[tool.name] = tool

    def _pool(self) -> ComputeExecutor:
        executor = self._orchestrator.executor  # the process-wide pool, started warm
        self._pool_ready = True
        return executor

    async def _apool(self) -> ComputeExecutor:
        if self._pool_ready:
            return self._orchestrator.executor
        return await asyncio.to_thread(self._pool)  # starting P interpreters blocks

    @contextlib.contextmanager
    def _place(self) -> Iterator[None]:
        if self._limit is None:
            yield
            return
        with self._limit.hold():
            yield

    @contextlib.asynccontextmanager
    async def _aplace(self) -> AsyncIterator[None]:
        if self._limit is None:
            yield
            return
        async with self._limit.ahold():
            yield

    # --- model calls ------------------------------------------------------------------

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResult:
        """Check the compute tools before the model can call them; then call the model."""
        self._check_tools(request.tools)
        return handler(request)

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResult:
        """Async `wrap_model_call`."""
        self._check_tools(request.tools)
        return await handler(request)

    # --- tool calls -------------------------------------------------------------------

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolResult],
    ) -> ToolResult:
        """Run a compute call on the worker pool; bound and time inout calls."""
        tool = request.tool
        if tool is None:  # not a tool of the agent: ToolNode answers it
            return handler(request)
        if is_pool_tool(tool):
            self._check(tool)
            record = PoolCall()
            proxy = pool_tool(tool, self._pool, self._apool, self.call_timeout, record)
            try:
                result = handler(request.override(tool=proxy))
            except CALL_FAILURES as err:
                return failed_message(request, err)
            return _with_record(result, record)
        with self._place():
            if self.call_timeout is None:
                return handler(request)
            return self._timed(request, handler, self.call_timeout)

    def _timed(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolResult],
        timeout: float,
    ) -> ToolResult:
        """Run `handler` on an inout thread; past `timeout`, abandon it (it cannot be killed)."""
        context = contextvars.copy_context()
        future: Future[ToolResult] = self._threads.submit(context.run, handler, request)
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            if future.done():  # the tool's own TimeoutError
                raise
            self._threads.abandon(future)
            return failed_message(request, self._timeout_error(request))

    def _timeout_error(self, request: ToolCallRequest) -> CallTimeoutError:
        msg = f"{request.tool_call['name']} ran past call_timeout={self.call_timeout}s"
        return CallTimeoutError(msg)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolResult]],
    ) -> ToolResult:
        """Async `wrap_tool_call`: the same routing, on the event loop."""
        tool = request.tool
        if tool is None:
            return await handler(request)
        if is_pool_tool(tool):
            self._check(tool)
            record = PoolCall()
            proxy = pool_tool(tool, self._pool, self._apool, self.call_timeout, record)
            try:
                result = await handler(request.override(tool=proxy))
            except CALL_FAILURES as err:
                return failed_message(request, err)
            return _with_record(result, record)
        async with self._aplace():
            if self.call_timeout is None:
                return await handler(request)
            if needs_own_thread(tool):  # else ToolNode uses the loop's executor threads
                request = request.override(tool=threaded_tool(tool, self._threads))  # type: ignore[arg-type]
            try:
                async with asyncio.timeout(self.call_timeout) as scope:
                    return await handler(request)
            except TimeoutError:
                if not scope.expired():
                    raise
                return failed_message(request, self._timeout_error(request))
