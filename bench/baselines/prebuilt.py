"""LangChain's own agent, `langchain.agents.create_agent`, run as it comes.

    question -> model node -> tools node (one task per tool call) -> model node -> ... -> answer

The agent is built by the real `create_agent` (nothing rewritten) and run with
`ainvoke`. Its trace comes from LangChain's tool callbacks: `ToolTraceHandler`
stamps each tool run at `on_tool_start` and `on_tool_end` / `on_tool_error`,
keyed by the callback run id, so concurrent calls are told apart. A call's
`scheduled_at` is the end of the LLM turn that asked for it.

What `create_agent` does with the calls (LangGraph 1.x): the model node's tool
calls are sent to the tools node as one `Send` each, and the tasks of one step
run concurrently; under `ainvoke` each runs `tool.ainvoke`, which awaits async
tools and runs sync tools in the loop's default thread pool. So it behaves like
parallel function calling: one turn's calls overlap (sync ones as threads under
the GIL), and the next model turn waits for all of them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from langchain.agents import create_agent
from langchain.agents.middleware import InputAgentState
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool

from bench.baselines.common import (
    BaselineResult,
    ToolsArg,
    message_text,
    tool_list,
)
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.tools import COMPUTE, INOUT, ToolKind, tool_kind


class ToolTraceHandler(BaseCallbackHandler):
    """Records every tool run as a `TraceRecord` from the tool callbacks.

    Runs inline (`run_inline = True`), so the stamps are taken when the events
    fire, not later in a thread pool.

    Example:
        ```python
        handler = ToolTraceHandler({t.name: t for t in tools})
        await agent.ainvoke(inputs, {"callbacks": [handler]})
        print(handler.trace)
        ```
    """

    run_inline = True

    def __init__(self, tools: Mapping[str, BaseTool]) -> None:
        """Trace the runs of `tools` (their kinds come from their tags)."""
        super().__init__()
        self.tools = dict(tools)
        self.trace: list[TraceRecord] = []
        self._by_run: dict[UUID, TraceRecord] = {}
        self._last_llm_end = 0.0
        self._lock = threading.Lock()

    def _kind(self, name: str, tags: list[str] | None) -> ToolKind:
        if name in self.tools:
            return tool_kind(self.tools[name])
        return COMPUTE if COMPUTE in (tags or []) else INOUT

    def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Remember when the last LLM turn ended (the next calls' `scheduled_at`)."""
        self._last_llm_end = time.time()

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Open a record for the tool run."""
        now = time.time()
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "?")
        with self._lock:
            record = TraceRecord(
                id=str(len(self.trace) + 1),
                tool=name,
                kind=self._kind(name, tags),
                processor=None,
                pid=os.getpid(),
                scheduled_at=self._last_llm_end or now,
                started_at=now,
                ended_at=0.0,
                status="finished",
            )
            self.trace.append(record)
            self._by_run[run_id] = record

    def on_tool_end(
        self,
        output: Any,
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Close the run's record."""
        with self._lock:
            if record := self._by_run.pop(run_id, None):
                record.ended_at = time.time()

    def on_tool_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Close the run's record as failed."""
        with self._lock:
            if record := self._by_run.pop(run_id, None):
                record.ended_at = time.time()
                record.status = "failed"
                record.error = f"{type(error).__name__}: {error}"


async def arun_prebuilt(
    model: BaseChatModel,
    tools: ToolsArg,
    question: str,
    *,
    system_prompt: str | None = None,
    recursion_limit: int = 60,
    config: RunnableConfig | None = None,
) -> BaselineResult:
    """Answer a question with `langchain.agents.create_agent(model, tools)`.

    Args:
        model: a chat model that supports `bind_tools`.
        tools: the tools (tags do not change how the agent runs them). A tool
            named `self` is an ordinary tool here.
        question: the user's question.
        system_prompt: passed to `create_agent`.
        recursion_limit: LangGraph's step limit (two steps per LLM turn with calls).
        config: merged into the run's config (the trace handler is added to its callbacks).

    Returns:
        The last AI message's text, the trace from the tool callbacks, the LLM
        turns (AI messages in the result) and the wall time.

    Raises:
        Exception: whatever the agent raises; `create_agent`'s tools node lets a
            tool's exception end the run unless the tool handles it itself.

    Example:
        ```python
        result = await arun_prebuilt(model, [search, compute(fib)], "fib(25) and fib(26)?")
        ```
    """
    start = time.perf_counter()
    listed = tool_list(tools)
    handler = ToolTraceHandler({t.name: t for t in listed})
    agent = create_agent(model, listed, system_prompt=system_prompt)
    run_config = merge_configs(config, {"callbacks": [handler], "recursion_limit": recursion_limit})
    inputs: InputAgentState = {"messages": [HumanMessage(question)]}
    output = await agent.ainvoke(inputs, run_config)
    messages: list[BaseMessage] = list(output["messages"])
    replies = [m for m in messages if isinstance(m, AIMessage)]
    answer = message_text(replies[-1]) if replies else ""
    trace = sorted(handler.trace, key=lambda r: r.started_at)
    return BaselineResult(answer, trace, len(replies), time.perf_counter() - start)


def run_prebuilt(
    model: BaseChatModel, tools: ToolsArg, question: str, **options: Any
) -> BaselineResult:
    """Sync twin of `arun_prebuilt` (same options).

    Example:
        ```python
        result = run_prebuilt(model, tools, "Compare the populations of Texas and Ohio.")
        ```
    """
    return run_sync(arun_prebuilt(model, tools, question, **options))
