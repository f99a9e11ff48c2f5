"""The agent's options: declared once, typed errors, an injectable Orchestrator."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from typing import get_type_hints

import pytest
from langchain_core.tools import tool

from langchain_llmorch import LLMOrchAgentExecutor, Orchestrator, create_llmorch_agent, inout
from langchain_llmorch.agent.options import (
    DEFAULT_CALL_TIMEOUT,
    ENGINE_SHORTHANDS,
    AgentOptions,
    LLMOrchOptions,
    split_options,
)
from langchain_llmorch.errors import LLMOrchError, OptionTypeError, OptionValueError
from langchain_llmorch.testing import planner_or


@tool
def echo(text: str) -> str:
    """Echo the text."""
    return text


def test_the_typed_keywords_are_the_options_plus_the_engine_shorthands() -> None:
    declared = set(get_type_hints(LLMOrchOptions))
    assert declared == {f.name for f in fields(AgentOptions)} | set(ENGINE_SHORTHANDS)


def test_options_do_not_change_after_construction() -> None:
    options = AgentOptions()
    with pytest.raises(FrozenInstanceError):
        options.max_repairs = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_processors": "2"}, OptionTypeError),
        ({"max_repairs": "2"}, OptionTypeError),
        ({"max_repairs": True}, OptionTypeError),
        ({"max_recoveries": -1}, OptionValueError),
        ({"planning": "json"}, OptionValueError),
        ({"self_kind": "gpu"}, OptionValueError),
        ({"call_timeout": 0}, OptionValueError),
        ({"policy": "fastest"}, OptionValueError),
        ({"stream_plan": True, "approve_plan": True}, OptionValueError),
        ({"max_repair": 2}, OptionTypeError),
    ],
)
def test_a_bad_option_is_a_typed_error_that_old_excepts_still_catch(
    options: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        create_llmorch_agent(planner_or('s1: echo(text="x")'), [echo], **options)  # type: ignore[arg-type]
    assert isinstance(caught.value, LLMOrchError)
    assert isinstance(caught.value, ValueError | TypeError)


def test_engine_shorthands_beside_an_orchestrator_are_refused() -> None:
    with pytest.raises(OptionValueError, match="Orchestrator"):
        split_options({"max_processors": 2}, Orchestrator())


def test_shorthands_build_the_agents_orchestrator_with_the_agent_default_timeout() -> None:
    agent, engine = split_options({"max_processors": 1, "policy": "paper"}, None)
    assert agent == AgentOptions()
    assert (engine.processors, engine.policy) == (1, "paper")
    assert engine.call_timeout == DEFAULT_CALL_TIMEOUT


def test_an_injected_orchestrator_runs_the_agents_calls() -> None:
    """The agent binds its tools to the given engine and runs the plan through it."""
    ran: list[str] = []

    class Recording(Orchestrator):
        def bind_tools(self, tools):  # type: ignore[no-untyped-def]
            bound = super().bind_tools(tools)
            original = bound.run

            def run(frg, **kwargs):  # type: ignore[no-untyped-def]
                ran.extend(frg.calls)
                return original(frg, **kwargs)

            bound.run = run  # type: ignore[method-assign]
            return bound

    engine = Recording(max_processors=1)
    agent = create_llmorch_agent(
        planner_or('s1: echo(text="a")\ns2: echo(text="b")', "done"),
        [inout(echo)],
        orchestrator=engine,
    )
    out = agent.invoke({"messages": [("user", "echo a and b")]})
    assert ran == ["s1", "s2"]
    assert out["results"] == {"s1": "a", "s2": "b"}
    assert engine.tools == {}  # the caller's orchestrator itself is not changed


def test_the_executor_takes_an_orchestrator_and_warms_it() -> None:
    engine = Orchestrator(max_processors=1)
    executor = LLMOrchAgentExecutor(
        llm=planner_or('s1: echo(text="a")', "a"), tools=[echo], orchestrator=engine
    )
    assert executor.orchestrator is engine
    assert executor.invoke({"input": "echo a"})["output"] == "a"
