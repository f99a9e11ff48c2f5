"""What `LLMOrchAgentExecutor` reads from an `AgentExecutor` app: model, prompt, conversation.

An app built for `AgentExecutor` holds its chat model and its prompt inside the agent
runnable (`create_tool_calling_agent(llm, tools, prompt)` is `assign | prompt | llm |
parser`). The executor finds both there, and turns each invoke's input into the
conversation the agent's prompt would have shown the model: every message of the prompt,
its variables filled from the input, placeholders such as `chat_history` included, in
their order. The scratchpad is empty: a plan has none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.output_parsers import BaseOutputParser
from langchain_core.prompts import (
    ChatPromptTemplate,
    MessagesPlaceholder,
    SystemMessagePromptTemplate,
)

SCRATCHPAD = "agent_scratchpad"
"""The prompt variable `AgentExecutor` agents fill with the steps so far."""
# The output parsers of tool-calling agents (langchain-classic), whose actions are
# `ToolAgentAction`s; by name, so that no agent needs langchain-classic imported here.
_TOOL_CALL_PARSERS = frozenset({"ToolsAgentOutputParser", "OpenAIToolsAgentOutputParser"})
# Where an agent keeps its parts: wrappers, sequences, bindings, a chain's model and parser.
_CHILDREN = ("runnable", "bound", "first", "last", "llm_chain", "llm", "prompt", "output_parser")
# Agents nest a few levels (wrapper -> sequence -> binding -> model); stop well past that.
_MAX_DEPTH = 8


def _walk(obj: Any, depth: int = 0) -> Iterator[Any]:
    """Every runnable nested in an agent (sequences, bindings, agent wrappers)."""
    if obj is None or depth > _MAX_DEPTH:
        return
    yield obj
    for attr in _CHILDREN:
        child = getattr(obj, attr, None)
        if child is not None and child is not obj:
            yield from _walk(child, depth + 1)
    for attr in ("steps", "middle"):
        for child in getattr(obj, attr, None) or []:
            yield from _walk(child, depth + 1)


def find_chat_model(agent: Any) -> BaseChatModel | None:
    """The chat model inside an agent built for `AgentExecutor`.

    Example:
        ```python
        agent = create_tool_calling_agent(llm, tools, prompt)
        assert find_chat_model(agent) is llm
        ```
    """
    return next((r for r in _walk(agent) if isinstance(r, BaseChatModel)), None)


def parses_tool_calls(agent: Any) -> bool:
    """Whether the agent's actions are `ToolAgentAction`s, as `AgentExecutor` would get them.

    True for an agent whose output parser reads tool calls (`create_tool_calling_agent`,
    `create_openai_tools_agent`) and for no agent at all (`llm=`: the executor is the
    tool-calling agent). False for an agent with another parser (functions, ReAct, ...):
    its actions stay `AgentActionMessageLog`s.

    Example:
        ```python
        agent = create_tool_calling_agent(llm, tools, prompt)
        assert parses_tool_calls(agent)
        ```
    """
    if agent is None:
        return True
    parsers = [r for r in _walk(agent) if isinstance(r, BaseOutputParser)]
    if not parsers:
        return True
    return any(c.__name__ in _TOOL_CALL_PARSERS for p in parsers for c in type(p).__mro__)


def find_chat_prompt(agent: Any) -> ChatPromptTemplate | None:
    """The chat prompt inside an agent built for `AgentExecutor`, if it has one.

    Example:
        ```python
        agent = create_tool_calling_agent(llm, tools, prompt)
        assert find_chat_prompt(agent) is prompt
        ```
    """
    return next((r for r in _walk(agent) if isinstance(r, ChatPromptTemplate)), None)


def find_system_prompt(agent: Any) -> str | None:
    """The system message of the agent's prompt, with its partial variables filled.

    Example:
        ```python
        agent = create_tool_calling_agent(llm, tools, prompt)
        print(find_system_prompt(agent))  # "You are WeatherBot. Answer briefly."
        ```
    """
    prompt = find_chat_prompt(agent)
    for message in prompt.messages if prompt is not None else ():
        if isinstance(message, SystemMessagePromptTemplate):
            template = getattr(message.prompt, "template", None)
            if isinstance(template, str):
                filled = dict(prompt.partial_variables)  # type: ignore[union-attr]
                try:
                    return template.format(**filled) if filled else template
                except (KeyError, IndexError):
                    return template
    return None


def _empty_scratchpad(prompt: ChatPromptTemplate) -> list[Any] | str:
    placeholders = (m for m in prompt.messages if isinstance(m, MessagesPlaceholder))
    return [] if any(m.variable_name == SCRATCHPAD for m in placeholders) else ""


def conversation(inputs: Mapping[str, Any], prompt: ChatPromptTemplate | None) -> list[BaseMessage]:
    """The messages the agent's prompt makes of `inputs`, with an empty scratchpad.

    Without a chat prompt (an agent on a text prompt, or `llm=`), the conversation is
    `chat_history` followed by the input as a human message.

    Raises:
        KeyError: the input lacks a variable of the prompt (as `AgentExecutor` does).

    Example:
        ```python
        messages = conversation({"input": "Hi", "user_name": "Ann"}, prompt)
        ```
    """
    if prompt is None:
        history: list[BaseMessage] = list(inputs.get("chat_history") or [])
        return [*history, HumanMessage(str(inputs["input"]))]
    values = dict(inputs)
    if SCRATCHPAD in prompt.input_variables and SCRATCHPAD not in values:
        values[SCRATCHPAD] = _empty_scratchpad(prompt)
    if missing := [name for name in prompt.input_variables if name not in values]:
        msg = (
            f"Input to ChatPromptTemplate is missing variables {set(missing)}. "
            f"Expected: {prompt.input_variables} Received: {sorted(inputs)}"
        )
        raise KeyError(msg)
    return prompt.format_messages(**values)


__all__ = [
    "conversation",
    "find_chat_model",
    "find_chat_prompt",
    "find_system_prompt",
    "parses_tool_calls",
]
