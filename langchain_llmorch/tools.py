"""Tool kinds (`inout` / `compute`), what a tool declares, and tools by name.

A tool's kind lives in its LangChain `tags`, so tagged tools stay ordinary
`BaseTool`s that work everywhere else in LangChain. The names `self` and `join` are the
plan's built-ins: `join()` ends a plan, and `self(prompt)` is the agent's own model
(`langchain_llmorch.self_tool`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict, Unpack, overload

from langchain_core.tools import BaseTool
from langchain_core.tools import tool as as_tool
from langgraph.types import CachePolicy

from langchain_llmorch.errors import (
    OptionTypeError,
    OptionValueError,
    ToolDefinitionError,
    ToolTypeError,
)
from langchain_llmorch.tool_limits import limits_metadata

ToolKind = Literal["inout", "compute"]

INOUT: ToolKind = "inout"
COMPUTE: ToolKind = "compute"
SELF_TOOL = "self"
JOIN_TOOL = "join"
BUILTIN_TOOLS = frozenset({SELF_TOOL, JOIN_TOOL})
IN_PROCESS = "llmorch_in_process"
"""Tool metadata key: a compute tool that must run in this process (it does not pickle)."""
CACHE_POLICY = "llmorch_cache"
"""Tool metadata key: the tool's `CachePolicy` (its results may be reused)."""
BUILTIN = "llmorch_builtin"
"""Tool metadata key: the built-in tool `make_self_tool` made (an agent may be given it)."""


def as_base_tool(item: Any, where: str = "the tool") -> BaseTool:
    """A LangChain tool of `item`: a tool as it is, a function made into one.

    Args:
        item: a `BaseTool`, or a function with type hints and a docstring.
        where: how the error names the item (e.g. `"tools[2]"`).

    Raises:
        ToolTypeError: `item` is neither a tool nor a function.
        ToolDefinitionError: a function that cannot be made a tool (no docstring, ...).

    Example:
        ```python
        from langchain_llmorch.tools import as_base_tool

        def double(x: int) -> int:
            \"\"\"Twice x.\"\"\"
            return 2 * x

        assert as_base_tool(double).name == "double"
        ```
    """
    if isinstance(item, BaseTool):
        return item
    if isinstance(item, type):
        msg = f"{where} is the class {item.__name__}, not a tool: give an instance of it"
        raise ToolTypeError(msg)
    if not callable(item):
        msg = (
            f"{where} is a {type(item).__name__} ({item!r:.80}), not a tool: give a LangChain "
            "tool or a function with type hints and a docstring"
        )
        raise ToolTypeError(msg)
    try:
        made: BaseTool = as_tool(item)
    except ValueError as err:  # e.g. a function without a docstring
        name = getattr(item, "__name__", type(item).__name__)
        msg = f"{where} ({name}) cannot be made a tool: {err}"
        raise ToolDefinitionError(msg) from err
    return made


def _tagged(
    obj: BaseTool | Callable[..., Any], kind: ToolKind, limits: Mapping[str, Any]
) -> BaseTool:
    base = as_base_tool(obj)
    other = INOUT if kind == COMPUTE else COMPUTE
    tags = [t for t in (base.tags or []) if t != other]
    if kind not in tags:
        tags.append(kind)
    update: dict[str, Any] = {"tags": tags}
    if limits:  # a tool that declares nothing keeps its metadata object as it was
        update["metadata"] = {**(base.metadata or {}), **limits}
    return base.model_copy(update=update)


def _cache_metadata(cache: CachePolicy[Any] | None) -> dict[str, Any]:
    if cache is None:
        return {}
    if not isinstance(cache, CachePolicy):
        msg = f"cache must be a langgraph.types.CachePolicy or None, not {cache!r}"
        raise OptionTypeError(msg)
    return {CACHE_POLICY: cache}


ToolLike = BaseTool | Callable[..., Any]
"""A LangChain tool, or a function with type hints and a docstring."""


class ToolDeclarations(TypedDict, total=False):
    """What `compute` and `inout` may declare about a tool (each is documented there)."""

    max_concurrency: int | None
    resources: Mapping[str, float] | None
    ordered: bool | None
    cache: CachePolicy[Any] | None


def _kind_marker(
    kind: ToolKind,
    obj: ToolLike | None,
    *,
    max_concurrency: int | None = None,
    resources: Mapping[str, float] | None = None,
    ordered: bool | None = None,
    cache: CachePolicy[Any] | None = None,
) -> BaseTool | Callable[[ToolLike], BaseTool]:
    limits = limits_metadata(max_concurrency=max_concurrency, resources=resources, ordered=ordered)
    if ordered and cache is not None:
        msg = "an ordered tool has side effects that must happen in order: it cannot be cached"
        raise OptionValueError(msg)
    limits |= _cache_metadata(cache)
    if obj is None:  # used as `@compute(max_concurrency=2)`
        return lambda target: _tagged(target, kind, limits)
    return _tagged(obj, kind, limits)


@overload
def compute(obj: ToolLike, /, **declarations: Unpack[ToolDeclarations]) -> BaseTool: ...
@overload
def compute(
    obj: None = None, /, **declarations: Unpack[ToolDeclarations]
) -> Callable[[ToolLike], BaseTool]: ...
def compute(
    obj: ToolLike | None = None, /, **declarations: Unpack[ToolDeclarations]
) -> BaseTool | Callable[[ToolLike], BaseTool]:
    """Mark a tool (or plain function) as CPU-bound: it runs on the worker-process pool.

    Use it for calls that hold a processor until they finish (numerics, image
    processing, a model running on this CPU). At most one compute call runs per
    processor at a time. With keywords only, it returns a decorator.

    Args:
        obj: a LangChain tool, or a function with type hints and a docstring.
        max_concurrency: at most this many calls of the tool at once, in every run
            of this process.
        resources: named amounts a call holds while it runs (`{"gpu": 1}`); the
            `Orchestrator(resources=...)` gives the capacities.
        ordered: calls of the tool run one at a time, in plan order.
        cache: reuse the tool's results for equal arguments (`CachePolicy(ttl=...)`;
            see `Orchestrator`'s `cache`). Only for tools without side effects.

    Returns:
        A copy of the tool with `"compute"` in its tags (and the declarations in its
        metadata); a decorator when `obj` is not given.

    Raises:
        OptionTypeError: a declaration has the wrong type.
        OptionValueError: a declaration is out of range (or `ordered` with `cache`).

    Example:
        ```python
        from langchain_llmorch import compute

        @compute
        def fib(n: int) -> int:
            \"\"\"The n-th Fibonacci number, slowly.\"\"\"
            return n if n < 2 else fib.func(n - 1) + fib.func(n - 2)

        @compute(resources={"gpu": 1})
        def render(scene: str) -> str:
            \"\"\"Render a scene on the GPU.\"\"\"
            return scene
        ```
    """
    return _kind_marker(COMPUTE, obj, **declarations)


@overload
def inout(obj: ToolLike, /, **declarations: Unpack[ToolDeclarations]) -> BaseTool: ...
@overload
def inout(
    obj: None = None, /, **declarations: Unpack[ToolDeclarations]
) -> Callable[[ToolLike], BaseTool]: ...
def inout(
    obj: ToolLike | None = None, /, **declarations: Unpack[ToolDeclarations]
) -> BaseTool | Callable[[ToolLike], BaseTool]:
    """Mark a tool (or plain function) as I/O-bound: it overlaps freely with other calls.

    Async tools are awaited on the event loop; sync ones run in a bounded thread
    pool. Untagged tools are `inout` too; tagging makes the intent explicit. With
    keywords only, it returns a decorator.

    Args:
        obj: a LangChain tool, or a function with type hints and a docstring.
        max_concurrency: at most this many calls of the tool at once, in every run
            of this process (an API that allows 2 requests at once).
        resources: named amounts a call holds while it runs; the
            `Orchestrator(resources=...)` gives the capacities.
        ordered: calls of the tool run one at a time, in plan order (a tool with
            side effects: writing a file, then appending to it).
        cache: reuse the tool's results for equal arguments (`CachePolicy(ttl=...)`;
            see `Orchestrator`'s `cache`). Only for tools without side effects.

    Returns:
        A copy of the tool with `"inout"` in its tags (and the declarations in its
        metadata); a decorator when `obj` is not given.

    Raises:
        OptionTypeError: a declaration has the wrong type.
        OptionValueError: a declaration is out of range (or `ordered` with `cache`).

    Example:
        ```python
        from langgraph.types import CachePolicy
        from langchain_llmorch import inout

        @inout
        async def search(query: str) -> str:
            \"\"\"Search the web.\"\"\"
            return "..."

        limited = inout(search, max_concurrency=2)

        @inout(ordered=True)
        def append(path: str, line: str) -> str:
            \"\"\"Append a line to a file.\"\"\"
            return line

        # the same look-up within ten minutes is answered from the cache
        cached_search = inout(search, cache=CachePolicy(ttl=600))
        ```
    """
    return _kind_marker(INOUT, obj, **declarations)


def tool_kind(tool: BaseTool) -> ToolKind:
    """The kind of a tool: `"compute"` when tagged so, else `"inout"`.

    Example:
        ```python
        from langchain_llmorch import compute
        from langchain_llmorch.tools import tool_kind

        def square(x: int) -> int:
            \"\"\"The square of x.\"\"\"
            return x * x

        assert tool_kind(compute(square)) == "compute"
        ```
    """
    return COMPUTE if COMPUTE in (tool.tags or []) else INOUT


def tools_by_name(tools: Sequence[BaseTool | Callable[..., Any]]) -> dict[str, BaseTool]:
    """Index tools by name, converting plain functions into tools.

    A tool may be named `self` here (the engine runs `self` calls with it); an agent's
    tools go through `agent_tools`, which keeps `self` for the built-in.

    Raises:
        ToolTypeError: an item is neither a tool nor a function (a `TypeError` too).
        ToolDefinitionError: two tools share a name, a tool is named `join` (the plan's
            answer step), or a function cannot be made a tool (a `ValueError` too).

    Example:
        ```python
        from langchain_llmorch.tools import tools_by_name

        def double(x: int) -> int:
            \"\"\"Twice x.\"\"\"
            return 2 * x

        assert list(tools_by_name([double])) == ["double"]
        ```
    """
    if isinstance(tools, str | bytes | BaseTool) or not isinstance(tools, Iterable):
        msg = f"tools must be a list of tools, not a {type(tools).__name__} ({tools!r:.80})"
        raise ToolTypeError(msg)
    out: dict[str, BaseTool] = {}
    for index, item in enumerate(tools):
        tool = as_base_tool(item, f"tools[{index}]")
        if tool.name == JOIN_TOOL:
            msg = (
                f"tools[{index}] is named {JOIN_TOOL!r}, the name of the plan's built-in answer "
                "step: rename the tool"
            )
            raise ToolDefinitionError(msg)
        if tool.name in out:
            msg = f"two tools are named {tool.name!r}; tool names must be unique"
            raise ToolDefinitionError(msg)
        out[tool.name] = tool
    return out


def agent_tools(tools: Sequence[BaseTool | Callable[..., Any]]) -> dict[str, BaseTool]:
    """An agent's tools by name (`tools_by_name`); a tool named `self` must be the built-in.

    The agent adds its own `self` tool (`make_self_tool`); a tool of the user's named
    `self` would be silently replaced by it, so it is refused. A `self` tool made by
    `make_self_tool` (e.g. for another model, or another kind) is kept.

    Raises:
        ToolDefinitionError: a tool of the user's is named `self` or `join`, or as for
            `tools_by_name`.
        ToolTypeError: as for `tools_by_name`.

    Example:
        ```python
        from langchain_llmorch.tools import agent_tools

        def self(prompt: str) -> str:
            \"\"\"My own self.\"\"\"
            return prompt

        try:
            agent_tools([self])
        except ValueError as err:  # a ToolDefinitionError
            print(err)
        ```
    """
    given = tools_by_name(tools)
    own = given.get(SELF_TOOL)
    if own is not None and not (own.metadata or {}).get(BUILTIN):
        msg = (
            f"a tool is named {SELF_TOOL!r}, the name of the agent's built-in tool (its own "
            "model answering a prompt): rename the tool"
        )
        raise ToolDefinitionError(msg)
    return given
