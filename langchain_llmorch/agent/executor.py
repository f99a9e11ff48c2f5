"""`LLMOrchAgentExecutor`: a drop-in for LangChain's `AgentExecutor`.

It takes the same constructor options and the agent an `AgentExecutor` app
already builds (e.g. `create_tool_calling_agent(llm, tools, prompt)`), finds the
chat model and the system prompt inside it, and answers `{"input": ...}` with
`{"input", "output"}`, planning once and running the calls in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, cast

from langchain_core.agents import AgentAction, AgentStep
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, SystemMessagePromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langchain_core.runnables.utils import AddableDict
from langchain_core.tools import BaseTool
from langgraph.types import StreamMode

from langchain_llmorch.agent.graph import create_llmorch_agent
from langchain_llmorch.agent.state import LLMOrchState
from langchain_llmorch.engine.backend import run_sync
from langchain_llmorch.plan.language import evaluate, parse_plan, render_expr

# The graph streams call events and state values; chunks are built from both.
_MODES: list[StreamMode] = ["custom", "values"]
# A plan, then up to two repairs or recoveries: fewer turns than this caps the defaults.
_DEFAULT_TURNS = 3
STOPPED = "Agent stopped due to iteration limit or time limit."
"""What `AgentExecutor` answers when `max_iterations` or `max_execution_time` is hit."""


# Agents nest a few levels (wrapper -> sequence -> binding -> model); stop well past that.
_MAX_DEPTH = 8


def _walk(obj: Any, depth: int = 0) -> Iterator[Any]:
    """Every runnable nested in an agent (sequences, bindings, agent wrappers)."""
    if obj is None or depth > _MAX_DEPTH:
        return
    yield obj
    for attr in ("runnable", "bound", "first", "last", "llm_chain", "llm", "prompt"):
        child = getattr(obj, attr, None)
        if child is not None and child is not obj:
            yield from _walk(child, depth + 1)
    for attr in ("steps", "middle"):
        for child in getattr(obj, attr, None) or []:
            yield from _walk(child, depth + 1)


def find_chat_model(agent: Any) -> BaseChatModel | None:
    """The chat model inside an agent built for `AgentExecutor`."""
    return next((r for r in _walk(agent) if isinstance(r, BaseChatModel)), None)


def find_system_prompt(agent: Any) -> str | None:
    """The system message of the agent's prompt, with its partial variables filled."""
    for runnable in _walk(agent):
        if not isinstance(runnable, ChatPromptTemplate):
            continue
        for message in runnable.messages:
            if isinstance(message, SystemMessagePromptTemplate):
                prompt = message.prompt
                template = getattr(prompt, "template", None)
                if isinstance(template, str):
                    filled = dict(runnable.partial_variables)
                    try:
                        return template.format(**filled) if filled else template
                    except (KeyError, IndexError):
                        return template
    return None


class LLMOrchAgentExecutor(Runnable[dict[str, Any], dict[str, Any]]):
    """Replace `AgentExecutor` with one name: plan once, run tool calls in parallel.

    Args:
        agent: an agent built for `AgentExecutor` (its chat model and system prompt
            are used), or `None` when `llm` is given.
        tools: the tools; tag CPU-bound ones with `compute`.
        llm: a chat model, instead of `agent`.
        return_intermediate_steps: add `(AgentAction, observation)` pairs to the output.
        max_iterations: LLM turns allowed (plan, repairs, recoveries); then
            `AgentExecutor`'s stop message is the output.
        max_execution_time: seconds; then the stop message is the output.
        early_stopping_method: only `"force"`, as for `AgentExecutor` with runnable agents.
        handle_parsing_errors: when false, a plan that cannot be repaired or calls
            that cannot be recovered raise; otherwise the reason is the output.
        trim_intermediate_steps: accepted for compatibility (a plan has no scratchpad).
        callbacks: callback handlers for every run.
        verbose: accepted for compatibility.
        tags: tags for every run.
        metadata: metadata for every run.
        **llmorch_options: passed to `create_llmorch_agent` (`max_processors`, `policy`, ...).

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
        system_prompt = options.pop("system_prompt", None) or find_system_prompt(agent)
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

    # -- shapes ------------------------------------------------------------------

    def _state(self, inputs: dict[str, Any] | str) -> LLMOrchState:
        if isinstance(inputs, str):
            inputs = {"input": inputs}
        if "input" not in inputs:
            msg = f"expected a dict with an 'input' key, got keys {sorted(inputs)}"
            raise ValueError(msg)
        history: list[AnyMessage] = list(inputs.get("chat_history") or [])
        return LLMOrchState(messages=[*history, HumanMessage(str(inputs["input"]))])

    def _config(self, config: RunnableConfig | None) -> RunnableConfig:
        config = ensure_config(config)
        callbacks = config.get("callbacks")
        if self.callbacks and not callbacks:
            config["callbacks"] = list(self.callbacks)
        config["tags"] = [*(config.get("tags") or []), *(self.tags or [])]
        config["metadata"] = {**(self.metadata or {}), **(config.get("metadata") or {})}
        return config

    def _output(self, inputs: dict[str, Any] | str, state: dict[str, Any]) -> dict[str, Any]:
        if state.get("failure") and self._capped:
            return self._stopped(inputs)
        given = {"input": inputs} if isinstance(inputs, str) else dict(inputs)
        out: dict[str, Any] = {**given, "output": state["messages"][-1].text}
        if self.return_intermediate_steps:
            out["intermediate_steps"] = intermediate_steps(state)
        return out

    def _stopped(self, inputs: dict[str, Any] | str) -> dict[str, Any]:
        given = {"input": inputs} if isinstance(inputs, str) else dict(inputs)
        out = {**given, "output": STOPPED}
        if self.return_intermediate_steps:
            out["intermediate_steps"] = []
        return out

    # -- Runnable ----------------------------------------------------------------

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Answer `{"input": ...}` with `{"input", "output"}` (sync, still parallel)."""
        if self.max_execution_time is None:
            state = self.graph.invoke(self._state(input), self._config(config))
            return self._output(input, state)
        return run_sync(self.ainvoke(input, config, **kwargs))

    async def ainvoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Async `invoke`."""
        call = self.graph.ainvoke(self._state(input), self._config(config))
        try:
            state = await asyncio.wait_for(call, self.max_execution_time)
        except TimeoutError:
            return self._stopped(input)
        return self._output(input, state)

    def stream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Yield an actions chunk and a steps chunk per call, then the output chunk."""
        state: dict[str, Any] = {}
        parts = self.graph.stream(self._state(input), self._config(config), stream_mode=_MODES)
        for mode, chunk in parts:
            if mode == "values":
                state = cast("dict[str, Any]", chunk)
            elif (item := _stream_chunk(cast("dict[str, Any]", chunk))) is not None:
                yield item
        yield _final_chunk(self._output(input, state))

    async def astream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Async `stream`."""
        state: dict[str, Any] = {}
        parts = self.graph.astream(self._state(input), self._config(config), stream_mode=_MODES)
        async for mode, chunk in parts:
            if mode == "values":
                state = cast("dict[str, Any]", chunk)
            elif (item := _stream_chunk(cast("dict[str, Any]", chunk))) is not None:
                yield item
        yield _final_chunk(self._output(input, state))


def _action(call_id: str, tool: str, args: Any) -> AgentAction:
    return AgentAction(tool=tool, tool_input=args, log=f"{call_id}: {tool}({args})")


def _stream_chunk(event: dict[str, Any]) -> AddableDict | None:
    name = event.get("event")
    if name == "started":
        action = _action(event["id"], event["tool"], event.get("args", {}))
        return AddableDict(actions=[action], messages=[AIMessage(action.log)])
    if name in ("finished", "failed"):
        action = _action(event["id"], event["tool"], event.get("args", {}))
        observation = event.get("error") if name == "failed" else event.get("result")
        step = AgentStep(action=action, observation=observation)
        return AddableDict(steps=[step], messages=[HumanMessage(str(observation))])
    return None


def _final_chunk(output: dict[str, Any]) -> AddableDict:
    return AddableDict(output=output["output"], messages=[AIMessage(output["output"])])


def intermediate_steps(state: dict[str, Any]) -> list[tuple[AgentAction, Any]]:
    """`(AgentAction, observation)` for every call of the final plan, in plan order."""
    results = state.get("results", {})
    errors = state.get("errors", {})
    steps = []
    for call in parse_plan(state["plan"]).calls if state.get("plan") else ():
        if call.tool == "join":
            continue
        args: dict[str, Any] = {}
        for name, expr in [
            *((f"arg{i}", a) for i, a in enumerate(call.args)),
            *call.kwargs.items(),
        ]:
            try:
                args[name] = evaluate(expr, results)
            except (KeyError, TypeError, ValueError, ArithmeticError):
                args[name] = render_expr(expr)
        observation = results.get(call.id, errors.get(call.id))
        steps.append((_action(call.id, call.tool, args), observation))
    return steps
