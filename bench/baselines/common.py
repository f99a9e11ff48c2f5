"""What every baseline shares: the result record, timed tool calls, message helpers.

Each baseline runs the same LangChain tools on the same chat model and returns a
`BaselineResult` whose trace has one `TraceRecord` per executed tool call, in
the same shape as the `Orchestrator`'s, so the benchmark compares like with like.
Time stamps are epoch seconds (`time.time()`) taken where the call runs: in the
worker thread for a sync tool run in a thread, on the event loop otherwise.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool

from langchain_llmorch.engine.events import TraceRecord
from langchain_llmorch.engine.tool_payload import has_async_impl
from langchain_llmorch.plan.language import result_text
from langchain_llmorch.tools import INOUT, tool_kind, tools_by_name

T = TypeVar("T")

SyncMode = Literal["thread", "inline"]
"""How a sync tool runs: in a thread (`asyncio.to_thread`) or on the loop, blocking it."""

ToolsArg = Sequence[BaseTool | Callable[..., Any]]
"""Tools as the baselines take them: LangChain tools or plain typed functions."""


@dataclass
class BaselineResult:
    """What one run of a baseline technique produced.

    Example:
        ```python
        from bench.baselines import run_react

        result = run_react(model, tools, "What is the population density of Texas?")
        print(result.answer, result.llm_turns, result.seconds)
        for record in result.trace:
            print(record.id, record.tool, record.started_at, record.ended_at)
        ```
    """

    answer: str
    """The final answer text."""
    trace: list[TraceRecord] = field(default_factory=list)
    """One record per executed tool call (`processor=None`, this process's pid)."""
    llm_turns: int = 0
    """How many times the agent called its chat model (tool-internal LLM calls excluded)."""
    seconds: float = 0.0
    """Wall time of the whole run, LLM turns included."""


@dataclass
class ToolOutcome:
    """The value or the exception of one tool call, with its trace record."""

    value: Any
    error: BaseException | None
    record: TraceRecord

    @property
    def ok(self) -> bool:
        """True when the call returned."""
        return self.error is None

    @property
    def text(self) -> str:
        """The observation an LLM sees: the result's text, or the error."""
        if self.error is not None:
            return f"Error: {type(self.error).__name__}: {self.error}"
        return result_text(self.value)


def tool_list(tools: ToolsArg) -> list[BaseTool]:
    """The tools as `BaseTool`s, names checked for uniqueness.

    Example:
        ```python
        tools = tool_list([search, compute(fib)])
        ```
    """
    return list(tools_by_name(tools).values())


def _new_record(
    call_id: str, tool: str, kind: Any, scheduled_at: float, attempt: int
) -> TraceRecord:
    return TraceRecord(
        id=call_id,
        tool=tool,
        kind=kind,
        processor=None,
        pid=os.getpid(),
        scheduled_at=scheduled_at,
        started_at=0.0,
        ended_at=0.0,
        status="finished",
        attempt=attempt,
    )


def _timed_invoke(
    tool: BaseTool, args: dict[str, Any], config: RunnableConfig | None, record: TraceRecord
) -> Any:
    record.started_at = time.time()
    try:
        return tool.invoke(args, config)
    finally:
        record.ended_at = time.time()


async def invoke_tool(
    tool: BaseTool,
    args: dict[str, Any],
    *,
    call_id: str,
    sync_mode: SyncMode,
    scheduled_at: float | None = None,
    config: RunnableConfig | None = None,
    attempt: int = 1,
) -> ToolOutcome:
    """Run one tool call and time it; an exception becomes a failed outcome.

    Args:
        tool: the tool.
        args: its arguments by name.
        call_id: the id the trace record gets.
        sync_mode: for a tool without a coroutine, `"thread"` runs it with
            `asyncio.to_thread` (threads under the GIL); `"inline"` calls it right
            here, blocking the event loop until it returns.
        scheduled_at: when the call was ready to run (default: now).
        config: passed on to the tool so callbacks see it.
        attempt: recorded in the trace (the replanning round for LLMCompiler).

    Returns:
        The value or the exception, and the call's trace record.

    Example:
        ```python
        outcome = await invoke_tool(search, {"query": "x"}, call_id="1", sync_mode="thread")
        assert outcome.record.status == "finished"
        ```
    """
    now = time.time()
    record = _new_record(call_id, tool.name, tool_kind(tool), scheduled_at or now, attempt)
    value: Any = None
    error: BaseException | None = None
    try:
        if has_async_impl(tool):
            record.started_at = time.time()
            try:
                value = await tool.ainvoke(args, config)
            finally:
                record.ended_at = time.time()
        elif sync_mode == "thread":
            value = await asyncio.to_thread(_timed_invoke, tool, args, config, record)
        else:
            value = _timed_invoke(tool, args, config, record)
    except asyncio.CancelledError:
        raise
    except Exception as err:
        error = err
        record.status = "failed"
        record.error = f"{type(err).__name__}: {err}"
        record.ended_at = record.ended_at or time.time()
        record.started_at = record.started_at or record.ended_at
    return ToolOutcome(value, error, record)


def unknown_tool(name: str, call_id: str, known: Mapping[str, BaseTool]) -> ToolOutcome:
    """A failed outcome for a call to a tool that does not exist.

    Example:
        ```python
        outcome = unknown_tool("serch", "3", {"search": search})
        assert not outcome.ok
        ```
    """
    now = time.time()
    record = _new_record(call_id, name, INOUT, now, 1)
    record.started_at = record.ended_at = now
    record.status = "failed"
    error = LookupError(f"unknown tool {name!r}; the tools are: {', '.join(known) or 'none'}")
    record.error = f"LookupError: {error}"
    return ToolOutcome(None, error, record)


def tool_message(outcome: ToolOutcome, tool_call: Mapping[str, Any]) -> ToolMessage:
    """The `ToolMessage` answering `tool_call` with an outcome.

    Example:
        ```python
        message = tool_message(outcome, ai_message.tool_calls[0])
        ```
    """
    return ToolMessage(
        content=outcome.text,
        tool_call_id=str(tool_call.get("id") or ""),
        name=str(tool_call.get("name") or ""),
        status="success" if outcome.ok else "error",
    )


def first_messages(question: str, system_prompt: str | None = None) -> list[BaseMessage]:
    """The conversation a tool-calling baseline starts from.

    Example:
        ```python
        messages = first_messages("How tall is the Eiffel tower?")
        ```
    """
    messages: list[BaseMessage] = []
    if system_prompt:
        messages.append(SystemMessage(system_prompt))
    messages.append(HumanMessage(question))
    return messages


def message_text(message: BaseMessage) -> str:
    """A message's text content (content blocks joined).

    Example:
        ```python
        assert message_text(AIMessage("hi")) == "hi"
        ```
    """
    text = message.text
    return text if isinstance(text, str) else str(text)


RunCalls = Callable[
    [Sequence[ToolCall], Mapping[str, BaseTool], list[TraceRecord], RunnableConfig | None],
    Awaitable[list[ToolOutcome]],
]
"""How a technique runs one turn's tool calls (one after another, or together)."""


async def tool_calling_loop(
    bound: Runnable[Any, Any],
    messages: list[BaseMessage],
    by_name: Mapping[str, BaseTool],
    run_calls: RunCalls,
    *,
    max_turns: int,
    stopped: str,
    config: RunnableConfig | None = None,
    pick: Callable[[AIMessage], AIMessage] | None = None,
) -> tuple[str, list[TraceRecord], int]:
    """Ask the model, run the tool calls it asks for, repeat until it answers.

    Args:
        bound: the model with the tools bound.
        messages: the conversation so far (extended in place).
        by_name: the tools by name.
        run_calls: runs one turn's calls and returns their outcomes, in order.
        max_turns: the most LLM turns before giving up with `stopped`.
        stopped: the answer when the turns run out (`{turns}` is filled in).
        config: passed on to the model and the tools.
        pick: may trim a turn's calls before they run (ReAct's one call per turn).

    Returns:
        The answer, the trace and the number of LLM turns.
    """
    trace: list[TraceRecord] = []
    turns = 0
    while turns < max_turns:
        reply = await bound.ainvoke(messages, config)
        turns += 1
        ai = reply if isinstance(reply, AIMessage) else AIMessage(message_text(reply))
        if not ai.tool_calls:
            return message_text(ai), trace, turns
        if pick is not None:
            ai = pick(ai)
        outcomes = await run_calls(ai.tool_calls, by_name, trace, config)
        messages.append(ai)
        messages += [tool_message(o, c) for o, c in zip(outcomes, ai.tool_calls, strict=True)]
    return stopped.format(turns=turns), trace, turns
