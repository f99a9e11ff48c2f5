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

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Unpack

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool

from langchain_llmorch.agent.executor.inputs import (
    find_chat_model,
    find_chat_prompt,
    find_system_prompt,
    parses_tool_calls,
)
from langchain_llmorch.agent.executor.loop import (
    STOPPED,
    aiterate,
    inputs_of,
    iterate,
    iterate_in_thread,
)
from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.agent.options import (
    ENGINE_SHORTHANDS,
    AgentOptions,
    LLMOrchOptions,
    split_options,
)
from langchain_llmorch.engine.orchestrator import Orchestrator
from langchain_llmorch.processes.warm import needs_workers

_DEFAULTS = AgentOptions()
# A plan, then the default repairs or recoveries: fewer turns than this caps the defaults.
_DEFAULT_TURNS = 1 + _DEFAULTS.max_repairs


class LLMOrchAgentExecutor(Runnable[dict[str, Any], dict[str, Any]]):
    """Replace `AgentExecutor` with one name: plan once, run tool calls in parallel.

    Args:
        agent: an agent built for `AgentExecutor` (its chat model and prompt are
            used), or `None` when `llm` is given.
        tools: the tools; tag CPU-bound ones with `compute`.
        llm: a chat model, instead of `agent`.
        return_intermediate_steps: add `(AgentAction, observation)` pairs of the
            user's tools (not the built-in `self`) to the output: `ToolAgentAction`s
            (with `tool_call_id`) for a tool-calling agent or `llm=`, as `AgentExecutor`
            gives them.
        max_iterations: LLM turns allowed (plan, repairs, recoveries); then
            `AgentExecutor`'s stop message is the output.
        max_execution_time: seconds; then the stop message is the output.
        early_stopping_method: only `"force"`, as for `AgentExecutor` with runnable agents.
        handle_parsing_errors: when false, a plan that cannot be repaired or calls
            that cannot be recovered raise; otherwise the reason is the output.
        trim_intermediate_steps: accepted for compatibility (a plan has no scratchpad).
        callbacks: handlers of the executor's own run (start, actions, finish, end),
            not of its model and tool runs, as for `AgentExecutor`.
        verbose: print the run as `AgentExecutor` prints it.
        tags: tags of the executor's own run.
        metadata: metadata of the executor's own run.
        orchestrator: the engine that runs the calls (see `create_llmorch_agent`).
        **llmorch_options: the agent's options, as for `create_llmorch_agent`.
            `append_results` is off unless given: the output is the model's words.

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
        orchestrator: Orchestrator | None = None,
        **llmorch_options: Unpack[LLMOrchOptions],
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
        self.tool_calling = parses_tool_calls(agent)
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
        self.capped = max_iterations is not None and max_iterations < _DEFAULT_TURNS
        # The output is the model's answer as it wrote it, as `AgentExecutor`'s is.
        options: dict[str, Any] = {
            "raise_on_failure": not handle_parsing_errors and not self.capped,
            "append_results": False,
        }
        if max_iterations is not None:
            # One turn plans; the rest may go to repairs and recoveries.
            spare = max_iterations - 1
            options |= {
                "max_repairs": min(_DEFAULTS.max_repairs, spare),
                "max_replans": min(_DEFAULTS.max_replans, max(spare - _DEFAULTS.max_repairs, 0)),
                "max_recoveries": min(_DEFAULTS.max_recoveries, spare),
            }
        options |= llmorch_options
        # A chat prompt's messages (its system message included) go into the
        # conversation at each call, filled from the input; other agents give their
        # system message to the planner.
        if options.get("system_prompt") is None and self.prompt is None:
            options["system_prompt"] = find_system_prompt(agent)
        _, self.orchestrator = split_options(options, orchestrator)
        self.graph = create_llmorch_agent(
            model,
            self.tools,
            orchestrator=self.orchestrator,
            **{k: v for k, v in options.items() if k not in ENGINE_SHORTHANDS},
        )

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
        sure the first call finds them warm (e.g. before timing it). Without `compute`
        tools there is nothing to start.

        Example:
            ```python
            executor = LLMOrchAgentExecutor(agent=agent, tools=tools)
            executor.warm()
            ```
        """
        if needs_workers(self.tools):
            self.orchestrator.warm()

    # -- Runnable ------------------------------------------------------------------

    def invoke(
        self,
        input: dict[str, Any],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Answer `{"input": ...}` with `{"input", "output"}` (sync, still parallel)."""
        if self.max_execution_time is not None:
            *_, outputs = iterate_in_thread(self, input, config, streaming=False)
        else:
            *_, outputs = iterate(self, input, config, streaming=False)
        return {**inputs_of(input), **outputs}

    async def ainvoke(
        self,
        input: dict[str, Any],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Async `invoke`."""
        outputs: dict[str, Any] = {}
        async for outputs in aiterate(self, input, config, streaming=False):  # noqa: B007
            pass
        return {**inputs_of(input), **outputs}

    def stream(
        self,
        input: dict[str, Any],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """Yield `AgentExecutor`'s chunks: `actions` and `steps` per call, then the output.

        The last chunk has `output`, `messages`, and `intermediate_steps` when asked for.
        """
        if self.max_execution_time is not None:
            yield from iterate_in_thread(self, input, config, streaming=True)
        else:
            yield from iterate(self, input, config, streaming=True)

    async def astream(
        self,
        input: dict[str, Any],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Async `stream`."""
        async for chunk in aiterate(self, input, config, streaming=True):
            yield chunk


__all__ = ["STOPPED", "LLMOrchAgentExecutor", "find_chat_model", "find_system_prompt"]
