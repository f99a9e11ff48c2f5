"""`LLMOrchAgentExecutor`: a drop-in for LangChain's `AgentExecutor`.

It takes the same constructor options and the agent an `AgentExecutor` app already
builds (e.g. `create_tool_calling_agent(llm, tools, prompt)`), finds the chat model and
the prompt inside it, and answers `{"input": ...}` with `{"input", "output"}`, planning
once and running the calls in parallel. What an app can observe is `AgentExecutor`'s:
each call opens a root run (`on_chain_start` with the input dict, `on_chain_end` with
the output dict, so `RunnableWithMessageHistory` and LangSmith work), the prompt's
variables and messages reach the model, `verbose=True` prints the same lines, and
`stream` yields the same chunks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, cast

from langchain_core.agents import AgentFinish
from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    BaseCallbackHandler,
    CallbackManager,
    CallbackManagerForChainRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config, patch_config
from langchain_core.runnables.utils import AddableDict
from langchain_core.tools import BaseTool
from langgraph.types import StreamMode

from langchain_llmorch.agent._executor_inputs import (
    conversation,
    find_chat_model,
    find_chat_prompt,
    find_system_prompt,
)
from langchain_llmorch.agent._executor_run import (
    ACTION_COLOR,
    ExecutorRun,
    VerbosePrinter,
    finish,
    tool_colors,
)
from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.engine.orchestrator import Orchestrator

# The graph streams call events and state values; chunks are built from both.
_MODES: list[StreamMode] = ["custom", "values"]
# A plan, then up to two repairs or recoveries: fewer turns than this caps the defaults.
_DEFAULT_TURNS = 3
STOPPED = "Agent stopped due to iteration limit or time limit."
"""What `AgentExecutor` answers when `max_iterations` or `max_execution_time` is hit."""


class LLMOrchAgentExecutor(Runnable[dict[str, Any], dict[str, Any]]):
    """Replace `AgentExecutor` with one name: plan once, run tool calls in parallel.

    Args:
        agent: an agent built for `AgentExecutor` (its chat model and prompt are
            used), or `None` when `llm` is given.
        tools: the tools; tag CPU-bound ones with `compute`.
        llm: a chat model, instead of `agent`.
        return_intermediate_steps: add `(AgentAction, observation)` pairs of the
            user's tools (not the built-in `self`) to the output.
        max_iterations: LLM turns allowed (plan, repairs, recoveries); then
            `AgentExecutor`'s stop message is the output.
        max_execution_time: seconds (`invoke`, `ainvoke`, `astream`); then the stop
            message is the output.
        early_stopping_method: only `"force"`, as for `AgentExecutor` with runnable agents.
        handle_parsing_errors: when false, a plan that cannot be repaired or calls
            that cannot be recovered raise; otherwise the reason is the output.
        trim_intermediate_steps: accepted for compatibility (a plan has no scratchpad).
        callbacks: handlers of the executor's own run (start, actions, finish, end),
            not of its model and tool runs, as for `AgentExecutor`.
        verbose: print the run as `AgentExecutor` prints it.
        tags: tags of the executor's own run.
        metadata: metadata of the executor's own run.
        **llmorch_options: passed to `create_llmorch_agent` (`max_processors`, `policy`, ...).

    The worker processes for `compute` tools start in the background when the
    executor is built; `warm()` waits until they are ready.

    Example:
        ```python
        from langchain_classic.agents import create_tool_calling_agent
        from langchain_llmorch import LLMOrchAgentExecutor

        agent = create_tool_calling_agent(llm, tools, prompt)
        executor = LLMOrchAgentExecutor(agent=agent, tools=tools)  # was: AgentExecutor(...)
        print(executor.invoke({"input": "What is the weather in SF and LA?"})["output"])
        ```
    """

    def __init__(
        self,
        agent: Any = None,
        tools: Sequence[BaseTool] = (),
        *,
        llm: BaseChatModel | None = None,
        return_intermediate_steps: bool = False,
        max_iterations: int | None = 15,
        max_execution_time: float | None = None,
        early_stopping_method: str = "force",
        handle_parsing_errors: bool | str | Callable[[Exception], str] = False,
        trim_intermediate_steps: int | Callable[..., Any] = -1,
        callbacks: list[BaseCallbackHandler] | None = None,
        verbose: bool = False,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **llmorch_options: Any,
    ) -> None:
        """Build the executor; see the class docstring for the arguments."""
        model = llm or find_chat_model(agent)
        if model is None:
            msg = "no chat model found: pass an agent built around a chat model, or llm=..."
            raise ValueError(msg)
        if early_stopping_method != "force":
            msg = f"Got unsupported early_stopping_method `{early_stopping_method}`"
            raise ValueError(msg)
        if max_iterations is not None and max_iterations < 1:
            msg = f"max_iterations must be at least 1, not {max_iterations}"
            raise ValueError(msg)
        self.agent = agent
        self.tools = list(tools)
        self.llm = model
        self.prompt = find_chat_prompt(agent)
        self.return_intermediate_steps = return_intermediate_steps
        self.max_iterations = max_iterations
        self.max_execution_time = max_execution_time
        self.early_stopping_method = early_stopping_method
        self.handle_parsing_errors = handle_parsing_errors
        self.trim_intermediate_steps = trim_intermediate_steps
        self.callbacks = callbacks
        self.verbose = verbose
        self.tags = tags
        self.metadata = metadata
        # With fewer turns than the default repairs and recoveries, running out of
        # them is hitting the iteration limit: answer with the stop message.
        self._capped = max_iterations is not None and max_iterations < _DEFAULT_TURNS
        options: dict[str, Any] = {
            "raise_on_failure": not handle_parsing_errors and not self._capped
        }
        if max_iterations is not None:
            # One turn plans; the rest may go to repairs and recoveries.
            spare = max_iterations - 1
            options |= {
                "max_repairs": min(2, spare),
                "max_replans": min(1, max(spare - 2, 0)),
                "max_recoveries": min(2, spare),
            }
        options |= llmorch_options
        # A chat prompt's messages (its system message included) go into the
        # conversation at each call, filled from the input; other agents give their
        # system message to the planner.
        system_prompt = options.pop("system_prompt", None)
        if system_prompt is None and self.prompt is None:
            system_prompt = find_system_prompt(agent)
        self._pool_options = {
            k: options[k] for k in ("max_processors", "executor") if options.get(k) is not None
        }
        self.graph = create_llmorch_agent(model, self.tools, system_prompt=system_prompt, **options)

    @classmethod
    def from_agent_and_tools(
        cls,
        agent: Any,
        tools: Sequence[BaseTool],
        callbacks: list[BaseCallbackHandler] | None = None,
        **kwargs: Any,
    ) -> LLMOrchAgentExecutor:
        """Create from an agent and tools, as `AgentExecutor.from_agent_and_tools`."""
        return cls(agent=agent, tools=tools, callbacks=callbacks, **kwargs)

    def warm(self) -> None:
        """Start the worker processes for `compute` tools now and wait until they are ready.

        Building the executor already starts them in the background; call this to be
        sure the first call finds them warm (e.g. before timing it).

        Example:
            ```python
            executor = LLMOrchAgentExecutor(agent=agent, tools=tools)
            executor.warm()
            ```
        """
        Orchestrator(self.tools, **self._pool_options).warm()

    # -- one run -------------------------------------------------------------------

    def _inputs(self, input: dict[str, Any] | str) -> dict[str, Any]:  # noqa: A002
        inputs = {"input": input} if isinstance(input, str) else dict(input)
        if "input" not in inputs:
            msg = f"expected a dict with an 'input' key, got keys {sorted(inputs)}"
            raise ValueError(msg)
        return inputs

    def _run(self, *, asynchronous: bool) -> ExecutorRun:
        names = [tool.name for tool in self.tools]
        colors = tool_colors(names, asynchronous=asynchronous)
        return ExecutorRun(names, colors, VerbosePrinter() if self.verbose else None)

    def _configure(self, manager: Any, config: RunnableConfig, run: ExecutorRun) -> Any:
        # As a Chain: the call's callbacks and tags reach every inner run; the
        # constructor's only this run.
        configured = manager.configure(
            config.get("callbacks"),
            self.callbacks,
            False,  # noqa: FBT003 - verbose printing is the run's own printer
            config.get("tags"),
            self.tags,
            config.get("metadata"),
            self.metadata,
        )
        if run.printer is not None:
            configured.add_handler(run.printer, inherit=False)
        return configured

    def _finish(self, state: dict[str, Any] | None) -> AgentFinish:
        if state is None or (state.get("failure") and self._capped):
            return AgentFinish(return_values={"output": STOPPED}, log="")
        return finish(state["messages"][-1].text)

    def _outputs(self, done: AgentFinish, run: ExecutorRun, *, streaming: bool) -> AddableDict:
        outputs = AddableDict(done.return_values)
        if self.return_intermediate_steps:
            outputs["intermediate_steps"] = list(run.steps)
        if streaming:
            outputs["messages"] = done.messages
        return outputs

    def _iterate(
        self, input: dict[str, Any], config: RunnableConfig | None, *, streaming: bool  # noqa: A002
    ) -> Iterator[AddableDict]:
        config = ensure_config(config)
        inputs = self._inputs(input)
        run = self._run(asynchronous=False)
        manager = self._configure(CallbackManager, config, run)
        run_manager: CallbackManagerForChainRun = manager.on_chain_start(
            None, inputs, config.get("run_id"), name=config.get("run_name") or self.get_name()
        )
        try:
            state: dict[str, Any] | None = None
            start = {"messages": conversation(inputs, self.prompt)}
            inner = patch_config(config, callbacks=run_manager.get_child())
            for mode, part in self.graph.stream(start, inner, stream_mode=_MODES):
                if mode == "values":
                    state = cast("dict[str, Any]", part)
                    continue
                action, chunk = run.on_event(cast("dict[str, Any]", part))
                if action is not None:
                    run_manager.on_agent_action(action, color=ACTION_COLOR)
                if chunk is not None:
                    yield chunk
            done = self._finish(state)
        except BaseException as err:
            run_manager.on_chain_error(err)
            raise
        run_manager.on_agent_finish(done, color=ACTION_COLOR, verbose=self.verbose)
        outputs = self._outputs(done, run, streaming=streaming)
        run_manager.on_chain_end(outputs)
        yield outputs

    async def _aiterate(
        self, input: dict[str, Any], config: RunnableConfig | None, *, streaming: bool  # noqa: A002
    ) -> AsyncIterator[AddableDict]:
        config = ensure_config(config)
        inputs = self._inputs(input)
        run = self._run(asynchronous=True)
        manager = self._configure(AsyncCallbackManager, config, run)
        run_manager: AsyncCallbackManagerForChainRun = await manager.on_chain_start(
            None, inputs, config.get("run_id"), name=config.get("run_name") or self.get_name()
        )
        loop = asyncio.get_running_loop()
        deadline = None if self.max_execution_time is None else loop.time() + self.max_execution_time
        try:
            state: dict[str, Any] | None = None
            start = {"messages": conversation(inputs, self.prompt)}
            inner = patch_config(config, callbacks=run_manager.get_child())
            parts = self.graph.astream(start, inner, stream_mode=_MODES)
            try:
                while True:
                    remaining = None if deadline is None else max(deadline - loop.time(), 0)
                    try:
                        mode, part = await asyncio.wait_for(anext(parts), remaining)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        state = None  # AgentExecutor's stop message, with the steps so far
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
            done = self._finish(state)
        except BaseException as err:
            await run_manager.on_chain_error(err)
            raise
        await run_manager.on_agent_finish(done, color=ACTION_COLOR, verbose=self.verbose)
        outputs = self._outputs(done, run, streaming=streaming)
        await run_manager.on_chain_end(outputs)
        yield outputs

    # -- Runnable ------------------------------------------------------------------

    def invoke(
        self,
        input: dict[str, Any],  # noqa: A002
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Answer `{"input": ...}` with `{"input", "output"}` (sync, still parallel)."""
        if self.max_execution_time is not None:
            return run_sync(self.ainvoke(input, config, **kwargs))
        *_, outputs = self._iterate(input, config, streaming=False)
        return {**self._inputs(input), **outputs}

    async def ainvoke(
        self,
        input: dict[str, Any],  # noqa: A002
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Async `invoke`."""
        outputs: dict[str, Any] = {}
        async for outputs in self._aiterate(input, config, streaming=False):  # noqa: B007
            pass
        return {**self._inputs(input), **outputs}

    def stream(
        self,
        input: dict[str, Any],  # noqa: A002
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """Yield `AgentExecutor`'s chunks: `actions` and `steps` per call, then the output.

        The last chunk has `output`, `messages`, and `intermediate_steps` when asked for.
        """
        yield from self._iterate(input, config, streaming=True)

    async def astream(
        self,
        input: dict[str, Any],  # noqa: A002
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Async `stream`."""
        async for chunk in self._aiterate(input, config, streaming=True):
            yield chunk


__all__ = ["STOPPED", "LLMOrchAgentExecutor", "find_chat_model", "find_system_prompt"]
