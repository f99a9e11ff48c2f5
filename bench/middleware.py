"""LangChain's `create_agent` with `LLMOrchMiddleware`: the benchmark's two middleware techniques.

    create_agent_mw          create_agent(model, tools, middleware=[LLMOrchMiddleware()])
                             turn by turn, as plain `create_agent`; compute-tagged tools on
                             LLMOrch's worker processes (at most P at once)
    create_agent_plan_first  create_agent(..., middleware=[LLMOrchMiddleware(plan_first=True,
                             stream_plan=True)]): one turn writes the whole plan (LLMOrch's
                             planner prompt), streamed, and its literal compute calls start
                             as their lines arrive; the rest run as dataflow in the tool
                             tasks; an ordinary turn answers. `stream_plan` as the `llmorch`
                             technique has it.

The agent is the real `create_agent`; the tools are the query's, tagged as its suite tags
them. Its trace comes from the tool callbacks (`ToolTraceHandler`, as for plain
`create_agent`); a compute call's worker pid, processor and start/end stamps, which the
middleware puts in the `ToolMessage`'s `response_metadata["llmorch"]`, replace the
callback's stamps (matched by tool call id), so the chart shows when the work ran
rather than when its task waited.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain.agents import create_agent
from langchain.agents.middleware import InputAgentState
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool

from bench.baselines.common import BaselineResult, ToolsArg, message_text, tool_list
from bench.baselines.prebuilt import ToolTraceHandler
from langchain_llmorch import LLMOrchMiddleware
from langchain_llmorch.engine.events import TraceRecord

__all__ = ["MiddlewareResult", "arun_middleware"]


@dataclass
class MiddlewareResult(BaselineResult):
    """A `BaselineResult` with the tool calls that ended as error messages."""

    failed: int = 0
    """`ToolMessage`s with `status="error"` (a timeout, a crashed worker, a failed input)."""


async def arun_middleware(
    model: BaseChatModel,
    tools: ToolsArg,
    question: str,
    *,
    processors: int,
    plan_first: bool = False,
    recursion_limit: int = 60,
    config: RunnableConfig | None = None,
) -> MiddlewareResult:
    """Answer a question with `create_agent(model, tools, middleware=[LLMOrchMiddleware(...)])`.

    Args:
        model: a chat model that supports `bind_tools`.
        tools: the tools, `compute`/`inout` tagged.
        question: the user's question.
        processors: `max_processors` of the middleware (P).
        plan_first: `LLMOrchMiddleware(plan_first=True, stream_plan=True)`.
        recursion_limit: LangGraph's step limit.
        config: merged into the run's config (the trace handler joins its callbacks).

    Returns:
        The last AI message's text, the trace, the LLM turns (AI messages), the wall time
        and how many tool messages were errors.

    Example:
        ```python
        result = await arun_middleware(model, tools, question, processors=2, plan_first=True)
        print(result.answer, result.seconds, result.failed)
        ```
    """
    start = time.perf_counter()
    listed = tool_list(tools)
    handler = _CallIdTrace({t.name: t for t in listed})
    middleware = LLMOrchMiddleware(
        tools=listed,
        max_processors=processors,
        plan_first=plan_first,
        planning="text",  # the scripted server writes plan text, as for `llmorch`
        stream_plan=plan_first,
    )
    agent = create_agent(model, listed, middleware=[middleware])
    run_config = merge_configs(config, {"callbacks": [handler], "recursion_limit": recursion_limit})
    inputs: InputAgentState = {"messages": [HumanMessage(question)]}
    output = await agent.ainvoke(inputs, run_config)
    messages: list[BaseMessage] = list(output["messages"])
    replies = [m for m in messages if isinstance(m, AIMessage)]
    answer = message_text(replies[-1]) if replies else ""
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    trace = handler.records(tool_messages)
    result = MiddlewareResult(answer, trace, len(replies), time.perf_counter() - start)
    result.failed = sum(m.status == "error" for m in tool_messages)
    return result


class _CallIdTrace(ToolTraceHandler):
    """`ToolTraceHandler` that also notes each record's tool call id."""

    def __init__(self, tools: Mapping[str, BaseTool]) -> None:
        super().__init__(tools)
        self.call_ids: dict[int, str] = {}

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Open the record; remember its tool call id."""
        super().on_tool_start(serialized, input_str, run_id=run_id, tags=tags, **kwargs)
        with self._lock:
            record = self._by_run.get(run_id)
            if record is not None and kwargs.get("tool_call_id"):
                self.call_ids[id(record)] = str(kwargs["tool_call_id"])

    def records(self, messages: list[ToolMessage]) -> list[TraceRecord]:
        """The records, a compute call's with its worker's pid, processor and stamps."""
        workers = {
            m.tool_call_id: meta
            for m in messages
            if (meta := (m.response_metadata or {}).get("llmorch") or {}).get("pid") is not None
        }
        for record in self.trace:
            meta = workers.get(self.call_ids.get(id(record), ""))
            if meta is None:
                continue
            record.pid = int(meta["pid"])
            record.processor = meta.get("processor")
            record.started_at = float(meta.get("started_at") or record.started_at)
            record.ended_at = float(meta.get("ended_at") or record.ended_at)
        return sorted(self.trace, key=lambda r: r.started_at)
