"""A scripted tool-calling chat model and tools that take measurable time."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from langchain_llmorch import compute, inout
from langchain_llmorch.engine.events import TraceRecord

Script = Callable[[list[BaseMessage]], AIMessage]


class ToolScriptChat(BaseChatModel):
    """Replies with `script(messages)`; `bind_tools` returns itself and notes its options."""

    script: Script
    bind_options: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "tool-script"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.script(messages))])

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        self.bind_options.append({"parallel_tool_calls": parallel_tool_calls, **kwargs})
        return self


def calls(*specs: tuple[str, dict[str, Any]], turn: int = 0) -> AIMessage:
    """An AI message asking for tool calls (ids unique per turn)."""
    tool_calls = [
        ToolCall(name=name, args=args, id=f"call_{turn}_{i}", type="tool_call")
        for i, (name, args) in enumerate(specs)
    ]
    return AIMessage(content="", tool_calls=tool_calls)


def by_turn(*replies: AIMessage) -> ToolScriptChat:
    """Reply number n (counted by the AI messages already in the conversation)."""

    def script(messages: list[BaseMessage]) -> AIMessage:
        turn = sum(isinstance(m, AIMessage) for m in messages)
        return replies[min(turn, len(replies) - 1)]

    return ToolScriptChat(script=script)


def overlap(a: TraceRecord, b: TraceRecord) -> bool:
    return a.started_at < b.ended_at and b.started_at < a.ended_at


def one(trace: list[TraceRecord], tool: str, attempt: int = 1) -> TraceRecord:
    (record,) = [r for r in trace if r.tool == tool and r.attempt == attempt]
    return record


LOOP_THREADS: list[int] = []
SYNC_THREADS: list[int] = []


@inout
async def fetch(key: str, delay: float = 0.05) -> str:
    """Fetch a page (async I/O)."""
    await asyncio.sleep(delay)
    return f"<{key}>"


@inout
async def fetch2(key: str, delay: float = 0.05) -> str:
    """Fetch a page from a second site (async I/O)."""
    await asyncio.sleep(delay)
    return f"[{key}]"


@inout
def nap(seconds: float) -> str:
    """Wait on a slow service (sync I/O)."""
    SYNC_THREADS.append(threading.get_ident())
    time.sleep(seconds)
    return "rested"


@compute
def spin(ms: int) -> int:
    """Busy CPU work for `ms` milliseconds, holding the GIL."""
    end = time.perf_counter() + ms / 1000
    count = 0
    while time.perf_counter() < end:
        count += 1
    return count


_ARRIVED: dict[str, int] = {}
_ARRIVED_LOCK = threading.Lock()


def _meet(group: str, size: int, pause: float) -> int:
    """Return once `size` calls of `group` have started; fail after 20 s alone."""
    with _ARRIVED_LOCK:
        _ARRIVED[group] = _ARRIVED.get(group, 0) + 1
    deadline = time.monotonic() + 20
    while _ARRIVED[group] < size:
        if time.monotonic() > deadline:
            msg = f"only {_ARRIVED[group]} of {size} calls of {group} ran at once"
            raise TimeoutError(msg)
        time.sleep(pause)
    return _ARRIVED[group]


@compute
def meet(group: str, size: int) -> int:
    """Busy CPU work (holding the GIL between checks) until `size` calls of `group` run."""
    return _meet(group, size, 0)


@inout
def meet_io(group: str, size: int) -> int:
    """Wait on a service (sync I/O) until `size` calls of `group` run."""
    return _meet(group, size, 0.005)


@inout
def boom(key: str) -> str:
    """A service that is down."""
    msg = f"service down for {key}"
    raise ConnectionError(msg)


TOOLS = [fetch, fetch2, nap, spin, boom]
