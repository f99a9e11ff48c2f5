"""The tools an agent is given: typed errors for what cannot be a tool or would be shadowed."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.tools import tool

from langchain_llmorch import LLMOrchAgentExecutor, LLMOrchError, create_llmorch_agent, inout
from langchain_llmorch.errors import ToolDefinitionError, ToolTypeError
from langchain_llmorch.self_tool import make_self_tool
from langchain_llmorch.testing import planner_or
from langchain_llmorch.tools import SELF_TOOL, agent_tools, compute, tool_kind, tools_by_name


@inout
def weather(city: str) -> str:
    """The weather in a city."""
    return "fog"


@tool("self")
def own_self(prompt: str) -> str:
    """A user's tool that happens to be named self."""
    return "mine"


@tool("join")
def own_join(text: str) -> str:
    """A user's tool that happens to be named join."""
    return text


def no_docstring(x: int) -> int:
    return x


def test_a_user_tool_named_self_is_refused_not_shadowed() -> None:
    with pytest.raises(ToolDefinitionError, match=r"'self'.*rename the tool") as caught:
        create_llmorch_agent(planner_or("s1: weather(city='SF')"), [weather, own_self])
    assert isinstance(caught.value, LLMOrchError)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ToolDefinitionError, match="'self'"):
        LLMOrchAgentExecutor(llm=planner_or("x"), tools=[own_self])


def test_the_built_in_self_tool_may_be_given_and_is_the_one_used() -> None:
    """A `make_self_tool` tool (another model, another kind) is kept, not replaced."""
    other = make_self_tool(FakeListChatModel(responses=["from the other model"]))
    assert agent_tools([weather, other])[SELF_TOOL] is other
    plan = 's1: self(prompt="hi")\ns2: weather(city=s1)'
    agent = create_llmorch_agent(planner_or(plan, "done"), [weather, other])
    out = agent.invoke({"messages": [("user", "q")]})
    assert out["results"]["s1"] == "from the other model"


def test_a_tool_named_join_is_refused_everywhere() -> None:
    with pytest.raises(ToolDefinitionError, match=r"'join'.*answer step"):
        tools_by_name([own_join])
    with pytest.raises(ToolDefinitionError, match="'join'"):
        create_llmorch_agent(planner_or("x"), [own_join])


def test_the_engine_may_still_be_given_its_own_self_tool() -> None:
    assert tools_by_name([own_self])[SELF_TOOL] is own_self


@pytest.mark.parametrize(
    ("tools", "where"),
    [
        (["not a tool"], r"tools\[0\] is a str \('not a tool'\)"),
        ([weather, 42], r"tools\[1\] is a int \(42\)"),
        ([weather, type(weather)], r"tools\[1\] is the class StructuredTool"),
    ],
)
def test_what_is_not_a_tool_gets_a_typed_error_naming_it(tools: list[Any], where: str) -> None:
    with pytest.raises(ToolTypeError, match=where) as caught:
        create_llmorch_agent(planner_or("x"), tools)
    assert isinstance(caught.value, LLMOrchError)
    assert isinstance(caught.value, TypeError)


def test_a_single_tool_instead_of_a_list_is_a_typed_error() -> None:
    with pytest.raises(ToolTypeError, match="list of tools"):
        tools_by_name(weather)  # type: ignore[arg-type]
    with pytest.raises(ToolTypeError, match="list of tools"):
        tools_by_name("weather")


@tool("weather")
def other_weather(city: str) -> str:
    """Another weather tool, under the same name."""
    return "sun"


def test_two_tools_with_one_name_get_a_typed_value_error() -> None:
    other = other_weather
    with pytest.raises(ToolDefinitionError, match="two tools are named 'weather'") as caught:
        create_llmorch_agent(planner_or("x"), [weather, other])
    assert isinstance(caught.value, ValueError)


def test_a_function_that_cannot_be_a_tool_is_named() -> None:
    with pytest.raises(ToolDefinitionError, match=r"tools\[0\] \(no_docstring\).*docstring"):
        tools_by_name([no_docstring])
    with pytest.raises(ToolTypeError, match="not a tool"):
        compute("not a tool")  # type: ignore[call-overload]


def test_tool_kind_of_tagged_functions() -> None:
    def square(x: int) -> int:
        """The square of x."""
        return x * x

    assert tool_kind(compute(square)) == "compute"
    assert tool_kind(inout(square)) == "inout"
    assert tool_kind(weather) == "inout"
