"""Parallel function calling (OpenAI style): each LLM turn asks for a batch of calls.

    question -> LLM -> [call 1 | call 2 | call 3] -> LLM -> [call 4 | call 5] -> LLM -> answer

A turn's calls run together with `asyncio.gather`: async tools are awaited on
the loop, sync tools run in threads (`asyncio.to_thread`), so CPU-bound Python
tools of one batch contend for the GIL instead of using several processors --
which is what the benchmark compares against. The next turn waits for the whole
batch: a call can never start before every call of the previous turn ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import ToolCall
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from bench.baselines.common import (
    BaselineResult,
    ToolOutcome,
    ToolsArg,
    first_messages,
    invoke_tool,
    tool_calling_loop,
    tool_list,
    unknown_tool,
)
from bench.baselines.react import STOPPED
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.engine.events import TraceRecord


async def gather_tool_calls(
    tool_calls: Sequence[ToolCall],
    tools: Mapping[str, BaseTool],
    trace: list[TraceRecord],
    config: RunnableConfig | None,
) -> list[ToolOutcome]:
    """Run one turn's calls together (sync tools in threads), tracing each.

    Example:
        ```python
        outcomes = await gather_tool_calls(ai.tool_calls, {t.name: t for t in tools}, [], None)
        ```
    """
    scheduled_at = time.time()
    first_id = len(trace) + 1
    jobs = []
    for offset, call in enumerate(tool_calls):
        call_id = str(first_id + offset)
        tool = tools.get(call["name"])
        if tool is None:
            jobs.append(_done(unknown_tool(call["name"], call_id, tools)))
        else:
            jobs.append(
                invoke_tool(
                    tool,
                    dict(call["args"]),
                    call_id=call_id,
                    sync_mode="thread",
                    scheduled_at=scheduled_at,
                    config=config,
                )
            )
    outcomes = list(await asyncio.gather(*jobs))
    trace.extend(o.record for o in outcomes)
    return outcomes


async def _done(outcome: ToolOutcome) -> ToolOutcome:
    return outcome


async def arun_parallel_fc(
    model: BaseChatModel,
    tools: ToolsArg,
    question: str,
    *,
    system_prompt: str | None = None,
    max_turns: int = 30,
    config: RunnableConfig | None = None,
) -> BaselineResult:
    """Answer a question with parallel function calling: one batch of calls per turn.

    Args:
        model: a chat model that supports `bind_tools` (and returns several tool
            calls in one message).
        tools: the tools (tagged `compute`/`inout`; the tag does not change how
            they run here). A tool named `self` is an ordinary tool here.
        question: the user's question.
        system_prompt: an optional system message put first.
        max_turns: the most LLM turns before giving up.
        config: passed on to the model and the tools.

    Returns:
        The answer (the last AI message's text), the trace (a turn's calls share
        one `scheduled_at`), the LLM turns and the wall time.

    Example:
        ```python
        result = await arun_parallel_fc(model, [search, compute(fib)], "fib(30) and fib(31)?")
        ```
    """
    start = time.perf_counter()
    by_name = {t.name: t for t in tool_list(tools)}
    answer, trace, turns = await tool_calling_loop(
        model.bind_tools(list(by_name.values())),
        first_messages(question, system_prompt),
        by_name,
        gather_tool_calls,
        max_turns=max_turns,
        stopped=STOPPED,
        config=config,
    )
    return BaselineResult(answer, trace, turns, time.perf_counter() - start)


def run_parallel_fc(
    model: BaseChatModel, tools: ToolsArg, question: str, **options: Any
) -> BaselineResult:
    """Sync twin of `arun_parallel_fc` (same options).

    Example:
        ```python
        result = run_parallel_fc(model, tools, "Compare the populations of Texas and Ohio.")
        ```
    """
    return run_sync(arun_parallel_fc(model, tools, question, **options))
