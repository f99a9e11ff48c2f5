"""Where one tool call runs: the worker pool, or ToolNode's path under a bound and a timeout.

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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from langchain_llmorch.agent.middleware._limits import Limiter
from langchain_llmorch.agent.middleware._tools import (
    Captured,
    PoolCall,
    Started,
    capturing_tool,
    check_compute_tool,
    is_pool_tool,
    needs_own_thread,
    pool_tool,
    shipped_function,
    threaded_tool,
)
from langchain_llmorch.engine import Orchestrator
from langchain_llmorch.engine.backend import ComputeExecutor, thread_pool
from langchain_llmorch.errors import CallTimeoutError, UnpicklableCallError, WorkerCrashedError
from langchain_llmorch.processes.records import CallOutcome

ToolResult = ToolMessage | Command[Any]

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


class CallRouter:
    """Runs single tool calls for `LLMOrchMiddleware` (see the module docstring).

    Args:
        max_processors: P for compute calls (`None`: the processors this process may use).
        max_concurrency: inout calls at once (`None`: no bound).
        call_timeout: seconds a call may run (`None`: no limit).
        max_threads: threads for sync inout calls under `call_timeout`.
    """

    def __init__(
        self,
        *,
        max_processors: int | None,
        max_concurrency: int | None,
        call_timeout: float | None,
        max_threads: int,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            msg = f"max_concurrency must be at least 1, not {max_concurrency}"
            raise ValueError(msg)
        # The orchestrator validates max_processors and call_timeout and owns the pool.
        self._orchestrator = Orchestrator(
            [], max_processors=max_processors, call_timeout=call_timeout
        )
        self.call_timeout = call_timeout
        self.limit = Limiter(max_concurrency) if max_concurrency is not None else None
        self.threads = thread_pool(max_threads)
        self._checked: dict[str, BaseTool] = {}
        self._check_lock = threading.Lock()
        self._pool_ready = False

    @property
    def processors(self) -> int:
        """P: how many compute calls run at once (at most)."""
        return self._orchestrator.processors

    @property
    def pool(self) -> ComputeExecutor:
        """The process-wide worker pool (started on first use)."""
        return self._pool()

    # --- tools ------------------------------------------------------------------------

    def check_tools(self, tools: Any) -> None:
        """Check every compute tool among `tools` (once per tool)."""
        for tool in tools:
            if isinstance(tool, BaseTool) and is_pool_tool(tool):
                self._check(tool)

    def _check(self, tool: BaseTool) -> None:
        if self._checked.get(tool.name) is tool:
            return
        check_compute_tool(tool)  # raises ComputeToolError
        with self._check_lock:
            self._checked[tool.name] = tool

    def warm(self) -> None:
        """Start the worker processes now."""
        self._pool()

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
        if self.limit is None:
            yield
            return
        with self.limit.hold():
            yield

    @contextlib.asynccontextmanager
    async def _aplace(self) -> AsyncIterator[None]:
        if self.limit is None:
            yield
            return
        async with self.limit.ahold():
            yield

    def start_early(self, tool: BaseTool, kwargs: dict[str, Any]) -> Future[CallOutcome]:
        """Send a compute call to the pool now, before its tool task (plan streaming)."""
        self._check(tool)
        function = shipped_function(tool)
        return self._pool().submit(function, (), kwargs, timeout=self.call_timeout)

    def abort(self, futures: Iterable[Future[CallOutcome]]) -> None:
        """Abort calls sent early that no tool task will take (queued or running)."""
        for future in futures:
            self._pool().abort(future)

    def run(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolResult],
        box: Captured,
        started: Started | None = None,
    ) -> ToolResult:
        """Run one tool call (sync agents); `box` gets the tool's raw value.

        `started`: the call, sent to the pool while its plan streamed (compute calls).
        """
        tool = request.tool
        if tool is None:  # not a tool of the agent: ToolNode answers it
            return handler(request)
        if is_pool_tool(tool):
            self._check(tool)
            record = PoolCall()
            proxy = pool_tool(tool, self._pool, self._apool, self.call_timeout, record, started)
            try:
                result = handler(request.override(tool=capturing_tool(proxy, box)))
            except CALL_FAILURES as err:
                return failed_message(request, err)
            return _with_record(result, record)
        request = request.override(tool=capturing_tool(tool, box))
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
        future: Future[ToolResult] = self.threads.submit(context.run, handler, request)
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            if future.done():  # the tool's own TimeoutError
                raise
            self.threads.abandon(future)
            return failed_message(request, self._timeout_error(request))

    def _timeout_error(self, request: ToolCallRequest) -> CallTimeoutError:
        msg = f"{request.tool_call['name']} ran past call_timeout={self.call_timeout}s"
        return CallTimeoutError(msg)

    async def arun(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolResult]],
        box: Captured,
        started: Started | None = None,
    ) -> ToolResult:
        """Run one tool call (async agents); `box` gets the tool's raw value."""
        tool = request.tool
        if tool is None:
            return await handler(request)
        if is_pool_tool(tool):
            self._check(tool)
            record = PoolCall()
            proxy = pool_tool(tool, self._pool, self._apool, self.call_timeout, record, started)
            try:
                result = await handler(request.override(tool=capturing_tool(proxy, box)))
            except CALL_FAILURES as err:
                return failed_message(request, err)
            return _with_record(result, record)
        async with self._aplace():
            if self.call_timeout is not None and needs_own_thread(tool):
                # ToolNode would run it on the loop's executor, where a hung call stays.
                tool = threaded_tool(tool, self.threads)  # type: ignore[arg-type]
            request = request.override(tool=capturing_tool(tool, box))
            if self.call_timeout is None:
                return await handler(request)
            try:
                async with asyncio.timeout(self.call_timeout) as scope:
                    return await handler(request)
            except TimeoutError:
                if not scope.expired():
                    raise
                return failed_message(request, self._timeout_error(request))
