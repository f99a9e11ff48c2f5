"""Run the graph as `AgentExecutor` runs its loop: inside a root run, yielding its chunks.

`iterate` (sync) and `aiterate` (async) open the executor's root run as a Chain opens
its own (`on_chain_start` with the input dict), run the graph under it with the
conversation the agent's prompt makes of the input, turn the graph's call events into
`actions` and `steps` chunks (`ExecutorRun`), and end with `on_agent_finish` and
`on_chain_end` with the output dict, which is also the last item they yield.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, cast

from langchain_core.agents import AgentFinish
from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    CallbackManager,
    CallbackManagerForChainRun,
)
from langchain_core.messages import AnyMessage
from langchain_core.runnables import RunnableConfig, ensure_config, patch_config
from langchain_core.runnables.utils import AddableDict
from langgraph.types import StreamMode

from langchain_llmorch.agent.executor.inputs import conversation
from langchain_llmorch.agent.executor.steps import (
    ACTION_COLOR,
    ExecutorRun,
    VerbosePrinter,
    finish,
    tool_colors,
)
from langchain_llmorch.agent.state import LLMOrchState
from langchain_llmorch.errors import PlanSyntaxError
from langchain_llmorch.plan.language import parse_plan

if TYPE_CHECKING:
    from langchain_llmorch.agent.executor.agent_executor import LLMOrchAgentExecutor

# The graph streams call events and state values; chunks are built from both.
_MODES: list[StreamMode] = ["custom", "values"]
STOPPED = "Agent stopped due to iteration limit or time limit."
"""What `AgentExecutor` answers when `max_iterations` or `max_execution_time` is hit."""


def inputs_of(input: dict[str, Any] | str) -> dict[str, Any]:
    """The input dict, as a Chain makes it (a string is the `input`)."""
    inputs = {"input": input} if isinstance(input, str) else dict(input)
    if "input" not in inputs:
        msg = f"expected a dict with an 'input' key, got keys {sorted(inputs)}"
        raise ValueError(msg)
    return inputs


def _new_run(ex: LLMOrchAgentExecutor, *, asynchronous: bool) -> ExecutorRun:
    names = [tool.name for tool in ex.tools]
    colors = tool_colors(names, asynchronous=asynchronous)
    printer = VerbosePrinter() if ex.verbose else None
    return ExecutorRun(names, colors, printer, tool_calling=ex.tool_calling)


def _configure(
    ex: LLMOrchAgentExecutor, manager: Any, config: RunnableConfig, run: ExecutorRun
) -> Any:
    # As a Chain: the call's callbacks and tags reach every inner run; the
    # constructor's only this run.
    configured = manager.configure(
        config.get("callbacks"),
        ex.callbacks,
        False,  # noqa: FBT003 - verbose printing is the run's own printer
        config.get("tags"),
        ex.tags,
        config.get("metadata"),
        ex.metadata,
    )
    if run.printer is not None:
        configured.add_handler(run.printer, inherit=False)
    return configured


def _start(ex: LLMOrchAgentExecutor, inputs: dict[str, Any]) -> LLMOrchState:
    return LLMOrchState(messages=cast("list[AnyMessage]", conversation(inputs, ex.prompt)))


def _finish(ex: LLMOrchAgentExecutor, state: dict[str, Any] | None) -> AgentFinish:
    if state is None or (state.get("failure") and ex.capped):
        return AgentFinish(return_values={"output": STOPPED}, log="")
    return finish(state["messages"][-1].text)


def _plan_order(state: dict[str, Any] | None) -> list[str]:
    try:
        return [call.id for call in parse_plan((state or {}).get("plan") or "").calls]
    except PlanSyntaxError:  # a plan that never compiled ran no calls
        return []


def _outputs(
    ex: LLMOrchAgentExecutor,
    done: AgentFinish,
    run: ExecutorRun,
    state: dict[str, Any] | None,
    *,
    streaming: bool,
) -> AddableDict:
    outputs = AddableDict(done.return_values)
    if ex.return_intermediate_steps:
        outputs["intermediate_steps"] = run.steps(_plan_order(state))
    if streaming:
        outputs["messages"] = done.messages
    return outputs


def iterate(
    ex: LLMOrchAgentExecutor,
    input: dict[str, Any] | str,
    config: RunnableConfig | None,
    *,
    streaming: bool,
) -> Iterator[AddableDict]:
    """Yield the run's `actions`/`steps` chunks, then its output dict."""
    config = ensure_config(config)
    inputs = inputs_of(input)
    run = _new_run(ex, asynchronous=False)
    manager = _configure(ex, CallbackManager, config, run)
    run_manager: CallbackManagerForChainRun = manager.on_chain_start(
        None, inputs, config.get("run_id"), name=config.get("run_name") or ex.get_name()
    )
    try:
        state: dict[str, Any] | None = None
        inner = patch_config(config, callbacks=run_manager.get_child())
        for mode, part in ex.graph.stream(_start(ex, inputs), inner, stream_mode=_MODES):
            if mode == "values":
                state = cast("dict[str, Any]", part)
                continue
            action, chunk = run.on_event(cast("dict[str, Any]", part))
            if action is not None:
                run_manager.on_agent_action(action, color=ACTION_COLOR)
            if chunk is not None:
                yield chunk
        done = _finish(ex, state)
    except BaseException as err:
        run_manager.on_chain_error(err)
        raise
    run_manager.on_agent_finish(done, color=ACTION_COLOR, verbose=ex.verbose)
    outputs = _outputs(ex, done, run, state, streaming=streaming)
    run_manager.on_chain_end(outputs)
    yield outputs


async def aiterate(
    ex: LLMOrchAgentExecutor,
    input: dict[str, Any] | str,
    config: RunnableConfig | None,
    *,
    streaming: bool,
    sync_caller: bool = False,
) -> AsyncIterator[AddableDict]:
    """Async `iterate`; past `max_execution_time` the output is `STOPPED`.

    `sync_caller`: run for a sync method (`invoke`, `stream` with a time limit).
    """
    config = ensure_config(config)
    inputs = inputs_of(input)
    # AgentExecutor's ainvoke colors tools as its async loop does; its astream as its sync one.
    run = _new_run(ex, asynchronous=not (streaming or sync_caller))
    manager = _configure(ex, AsyncCallbackManager, config, run)
    run_manager: AsyncCallbackManagerForChainRun = await manager.on_chain_start(
        None, inputs, config.get("run_id"), name=config.get("run_name") or ex.get_name()
    )
    loop = asyncio.get_running_loop()
    limit = ex.max_execution_time
    deadline = None if limit is None else loop.time() + limit
    try:
        state: dict[str, Any] | None = None
        stopped = False
        inner = patch_config(config, callbacks=run_manager.get_child())
        parts = cast(
            "AsyncGenerator[Any, None]",
            ex.graph.astream(_start(ex, inputs), inner, stream_mode=_MODES),
        )
        try:
            while True:
                remaining = None if deadline is None else max(deadline - loop.time(), 0)
                try:
                    mode, part = await asyncio.wait_for(anext(parts), remaining)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    stopped = True  # AgentExecutor's stop message, with the steps so far
                    break
                if mode == "values":
                    state = cast("dict[str, Any]", part)
                    continue
                action, chunk = run.on_event(cast("dict[str, Any]", part))
                if action is not None:
                    await run_manager.on_agent_action(action, color=ACTION_COLOR)
                if chunk is not None:
                    yield chunk
        finally:
            await parts.aclose()
        done = _finish(ex, None if stopped else state)
    except BaseException as err:
        await run_manager.on_chain_error(err)
        raise
    await run_manager.on_agent_finish(done, color=ACTION_COLOR, verbose=ex.verbose)
    outputs = _outputs(ex, done, run, state, streaming=streaming)
    await run_manager.on_chain_end(outputs)
    yield outputs


def iterate_in_thread(
    ex: LLMOrchAgentExecutor,
    input: dict[str, Any] | str,
    config: RunnableConfig | None,
    *,
    streaming: bool,
) -> Iterator[AddableDict]:
    """`aiterate` from sync code, on its own loop in a helper thread.

    Only the async run can be cut short at `max_execution_time`; this gives `invoke`
    and `stream` the same limit. The chunks come through a queue, in order.
    """
    chunks: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    async def pump() -> None:
        try:
            async for chunk in aiterate(ex, input, config, streaming=streaming, sync_caller=True):
                chunks.put((True, chunk))
                if stop.is_set():  # the caller stopped reading
                    return
        except BaseException as err:
            chunks.put((False, err))
        else:
            chunks.put((False, None))

    context = contextvars.copy_context()  # tracing and config context, as in the caller
    helper = threading.Thread(
        target=context.run, args=(asyncio.run, pump()), name="llmorch-stream", daemon=True
    )
    helper.start()
    try:
        while True:
            ok, item = chunks.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()


__all__ = ["STOPPED", "aiterate", "inputs_of", "iterate", "iterate_in_thread"]
