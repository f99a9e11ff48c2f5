"""What a call hands its tool: arguments checked against the tool's schema, and how it runs.

A compute call's worker gets the tool's function and the validated values, never the tool
(LangChain tools do not pickle); an inout call awaits the tool's coroutine when it has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ValidationError

from langchain_llmorch.errors import LLMOrchError


class ToolArgumentsError(LLMOrchError):
    """A call's arguments, once filled from results, do not fit the tool's schema."""


def has_async_impl(tool: BaseTool) -> bool:
    """Whether a tool has a native coroutine (else `ainvoke` would use a thread).

    Example:
        ```python
        assert has_async_impl(inout(async_search))
        ```
    """
    if isinstance(tool, StructuredTool):
        return tool.coroutine is not None
    return type(tool)._arun is not BaseTool._arun  # noqa: SLF001


def has_sync_impl(tool: BaseTool) -> bool:
    """Whether a tool has a plain function to run in a thread (a custom tool always has)."""
    if isinstance(tool, StructuredTool):
        return tool.func is not None
    return True


def compute_payload(
    tool: BaseTool, args: dict[str, Any]
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """Validate `args` here with the tool's schema; return the function and plain kwargs.

    LangChain tools do not pickle (their schema is a class made at run time), so the
    worker gets the tool's function and the validated values, never the tool.
    """
    kwargs = validated_args(tool, args)
    if isinstance(tool, StructuredTool) and tool.func is not None:
        return tool.func, kwargs
    return tool._run, kwargs  # noqa: SLF001 - a custom BaseTool: its bound _run must pickle


def validated_args(tool: BaseTool, args: dict[str, Any]) -> dict[str, Any]:
    """`args` checked against the tool's schema, each with the value it validates to.

    Raises:
        ToolArgumentsError: when they do not fit the schema.

    Example:
        ```python
        assert validated_args(add, {"a": "2"}) == {"a": 2.0}  # add(a: float, b: float = 0)
        ```
    """
    schema = tool.get_input_schema()
    try:
        validated = schema.model_validate(args) if issubclass(schema, BaseModel) else None
    except ValidationError as err:
        msg = f"arguments of {tool.name} do not fit its schema: {err}"
        raise ToolArgumentsError(msg) from err
    kwargs = dict(args)
    if validated is not None:  # validated values, keyed as the function names them
        for name, info in type(validated).model_fields.items():
            key = info.alias or name
            if key in args:
                kwargs[key] = getattr(validated, name)
    return kwargs
