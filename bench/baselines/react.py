"""ReAct: the model asks for one tool call per turn, sees its result, and goes on.

    question -> LLM -> call 1 -> LLM -> call 2 -> ... -> LLM -> answer

Nothing overlaps: every call waits for the LLM turn that asked for it, and every
LLM turn waits for the call before it. This is the sequential baseline the
benchmark measures speedups against.

The model is bound with `parallel_tool_calls=False` when its `bind_tools`
accepts that option (OpenAI-compatible models do), which asks it for one call a
turn. A model may still return several calls in one message; with
`multiple_calls="sequential"` (the default) they all run, one after the other,
each answered by its own `ToolMessage`, so no work the model asked for is lost
and nothing overlaps; with `multiple_calls="first"` only the first runs and the
others are dropped from the message, so the model has to ask for them again in
later turns (one LLM turn per call, strictly).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall
from langchain_core.runnables import Runnable, RunnableConfig
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
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.engine.events import TraceRecord

MultipleCalls = Literal["sequential", "first"]

STOPPED = "Agent stopped after {turns} LLM turns without a final answer."
"""The answer when `max_turns` runs out (as `AgentExecutor` says when it stops early)."""


def bind_one_call_per_turn(
    model: BaseChatModel, tools: Sequence[BaseTool]
) -> Runnable[LanguageModelInput, BaseMessage]:
    """Bind the tools, asking for one call a turn when the model supports it.

    Example:
        ```python
        bound = bind_one_call_per_turn(ChatOpenAI(model="gpt-4o"), tools)
        ```
    """
    params = inspect.signature(model.bind_tools).parameters
    if "parallel_tool_calls" in params:
        return model.bind_tools(tools, parallel_tool_calls=False)
    return model.bind_tools(tools)


async def run_tool_calls(
    tool_calls: Sequence[ToolCall],
    tools: Mapping[str, BaseTool],
    trace: list[TraceRecord],
    config: RunnableConfig | None,
) -> list[ToolOutcome]:
    """Run tool calls one after the other (each sync tool in a thread), tracing each.

    Example:
        ```python
        outcomes = await run_tool_calls(ai.tool_calls, {t.name: t for t in tools}, [], None)
        ```
    """
    outcomes: list[ToolOutcome] = []
    for call in tool_calls:
        call_id = str(len(trace) + 1)
        tool = tools.get(call["name"])
        if tool is None:
            outcome = unknown_tool(call["name"], call_id, tools)
        else:
            outcome = await invoke_tool(
                tool, dict(call["args"]), call_id=call_id, sync_mode="thread", config=config
            )
        trace.append(outcome.record)
        outcomes.append(outcome)
    return outcomes


async def arun_react(
    model: BaseChatModel,
    tools: ToolsArg,
    question: str,
    *,
    system_prompt: str | None = None,
    max_turns: int = 30,
    multiple_calls: MultipleCalls = "sequential",
    config: RunnableConfig | None = None,
) -> BaselineResult:
    """Answer a question ReAct-style: one tool call per LLM turn.

    Args:
        model: a chat model that supports `bind_tools`.
        tools: the tools (tagged `compute`/`inout`; the tag does not change how
            ReAct runs them). A tool named `self` is an ordinary tool here.
        question: the user's question.
        system_prompt: an optional system message put first.
        max_turns: the most LLM turns before giving up.
        multiple_calls: what to do when one message asks for several calls:
            run them all one after the other (`"sequential"`) or only the first
            (`"first"`, the others are dropped from the message).
        config: passed on to the model and the tools.

    Returns:
        The answer (the last AI message's text), the trace, the LLM turns and
        the wall time.

    Example:
        ```python
        result = await arun_react(model, [search, compute(fib)], "fib(30) + population of Texas?")
        ```
    """
    start = time.perf_counter()
    by_name = {t.name: t for t in tool_list(tools)}
    bound = bind_one_call_per_turn(model, list(by_name.values()))

    def first_only(ai: AIMessage) -> AIMessage:
        if multiple_calls == "first" and len(ai.tool_calls) > 1:
            return ai.model_copy(update={"tool_calls": ai.tool_calls[:1]})
        return ai

    answer, trace, turns = await tool_calling_loop(
        bound,
        first_messages(question, system_prompt),
        by_name,
        run_tool_calls,
        max_turns=max_turns,
        stopped=STOPPED,
        config=config,
        pick=first_only,
    )
    return BaselineResult(answer, trace, turns, time.perf_counter() - start)


def run_react(
    model: BaseChatModel, tools: ToolsArg, question: str, **options: Any
) -> BaselineResult:
    """Sync twin of `arun_react` (same options).

    Example:
        ```python
        result = run_react(model, tools, "What is the population density of Texas?")
        ```
    """
    return run_sync(arun_react(model, tools, question, **options))
