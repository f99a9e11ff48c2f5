"""The calls of a plan in plan-first mode, each in its own tool task.

`PlannedCalls` keeps this process's plan runs (`_plan_first.PlanRun`) by plan id: the model
turn adds a run, and each planned tool call finds its run (rebuilt from the state after a
resume elsewhere), waits for the results it uses, runs through `CallRouter`, is recovered
once it fails (`_recovery`), and hands its result on to the calls that use it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.messages import ToolCall, ToolMessage
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt.tool_node import ToolCallRequest

from langchain_llmorch.agent.middleware._calls import CallRouter, ToolResult, failed_message
from langchain_llmorch.agent.middleware._plan_first import (
    MAX_RUNS,
    PLAN_KEY,
    PlanRun,
    pending_calls,
    split_tool_id,
)
from langchain_llmorch.agent.middleware._recovery import Recovery, failed
from langchain_llmorch.agent.middleware._tools import Captured
from langchain_llmorch.errors import DependencyFailedError, LLMOrchError
from langchain_llmorch.tools import SELF_TOOL


class PlannedCalls:
    """The plan runs of one middleware, and how each planned call runs.

    Args:
        calls: where the calls run (pool, limits, timeouts).
        recovery: rewrites a failed call through the model.
    """

    def __init__(self, calls: CallRouter, recovery: Recovery) -> None:
        self.calls = calls
        self.recovery = recovery
        self._runs: dict[str, PlanRun] = {}
        self._lock = threading.Lock()

    def add(self, run: PlanRun) -> None:
        """Keep `run` for its calls (past `MAX_RUNS` runs, the oldest is dropped)."""
        with self._lock:
            self._runs[run.plan_id] = run
            while len(self._runs) > MAX_RUNS:
                self._runs.pop(next(iter(self._runs)))

    def find(self, request: ToolCallRequest) -> tuple[PlanRun, str] | None:
        """The plan run and call id of a planned call (rebuilt from the state if need be)."""
        found = split_tool_id(request.tool_call.get("id"))
        if found is None:
            return None
        plan_id, call_id = found
        with self._lock:
            run = self._runs.get(plan_id)
            if run is None:
                saved = (request.state or {}).get(PLAN_KEY) or {}
                if saved.get("id") != plan_id:
                    return None
                run = self._runs[plan_id] = PlanRun(plan_id, saved["text"], rebuilt=True)
        return (run, call_id) if call_id in run.calls else None

    def run(
        self,
        run: PlanRun,
        call_id: str,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolResult],
    ) -> ToolResult:
        """Run the planned call `call_id` once the results it uses are there."""
        run.begin(call_id)
        box = Captured()
        try:
            pending = pending_calls(request.state["messages"], request.tool_call["id"] or "")
            try:
                args = run.arguments(call_id, request.tool_call["args"], pending)
            except (LLMOrchError, ValueError, KeyError) as err:
                result: ToolResult = failed_message(request, err)
            else:
                planned_request = self._planned_request(request, run, args)
                started = run.take_early(call_id)
                try:
                    result = self.calls.run(planned_request, handler, box, started)
                except GraphBubbleUp:
                    raise
                except Exception as err:
                    result = self.recovery.run(run, call_id, planned_request, handler, box, err)
                if failed(result):
                    result = self.recovery.run(run, call_id, planned_request, handler, box, result)
        except BaseException as err:
            run.raised.add(call_id)
            run.finish(call_id, error=err)
            run.returned(call_id)
            time.sleep(run.before_raise(call_id))  # the calls it used are recorded first
            raise
        self._settle(run, call_id, result, box)
        run.returned(call_id)
        return result

    async def arun(
        self,
        run: PlanRun,
        call_id: str,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolResult]],
    ) -> ToolResult:
        """Async `run`."""
        run.begin(call_id)
        box = Captured()
        try:
            pending = pending_calls(request.state["messages"], request.tool_call["id"] or "")
            try:
                args = await run.aarguments(call_id, request.tool_call["args"], pending)
            except (LLMOrchError, ValueError, KeyError) as err:
                result: ToolResult = failed_message(request, err)
            else:
                planned_request = self._planned_request(request, run, args)
                started = run.take_early(call_id)
                try:
                    result = await self.calls.arun(planned_request, handler, box, started)
                except GraphBubbleUp:
                    raise
                except Exception as err:
                    result = await self.recovery.arun(
                        run, call_id, planned_request, handler, box, err
                    )
                if failed(result):
                    result = await self.recovery.arun(
                        run, call_id, planned_request, handler, box, result
                    )
        except BaseException as err:
            run.raised.add(call_id)
            run.finish(call_id, error=err)
            run.returned(call_id)
            await asyncio.sleep(await asyncio.to_thread(run.before_raise, call_id))
            raise
        self._settle(run, call_id, result, box)
        run.returned(call_id)
        return result

    def _planned_request(
        self, request: ToolCallRequest, run: PlanRun, args: dict[str, Any]
    ) -> ToolCallRequest:
        tool = request.tool
        if tool is None and request.tool_call["name"] == SELF_TOOL:
            tool = run.self_tool
        call = ToolCall(name=request.tool_call["name"], args=args, id=request.tool_call["id"])
        if tool is None:
            return request.override(tool_call=call)
        return request.override(tool_call=call, tool=tool)

    def _settle(self, run: PlanRun, call_id: str, result: ToolResult, box: Captured) -> None:
        if isinstance(result, ToolMessage) and result.status == "error":
            run.finish(call_id, error=DependencyFailedError(result.text))
        elif box.has_value:
            run.finish(call_id, box.value)
        else:
            run.finish(call_id, result.text if isinstance(result, ToolMessage) else None)
        if run.done:
            with self._lock:
                self._runs.pop(run.plan_id, None)
            self.calls.abort(e.future for e in run.leftovers())


__all__ = ["PlannedCalls"]
