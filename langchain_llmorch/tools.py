"""Tool kinds (`inout` / `compute`) and the built-in tools `self` and `join`.

A tool's kind lives in its LangChain `tags`, so tagged tools stay ordinary
`BaseTool`s that work everywhere else in LangChain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

from langchain_core.callbacks import BaseCallbackManager
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig, patch_config
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.tools import tool as as_tool
from langgraph.types import CachePolicy
from pydantic import BaseModel, ConfigDict

from langchain_llmorch.errors import OptionTypeError
from langchain_llmorch.runs import request_config

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


def _cache_metadata(cache: CachePolicy[Any] | None) -> dict[str, Any]:
    if cache is None:
        return {}
    if not isinstance(cache, CachePolicy):
        msg = f"cache must be a langgraph.types.CachePolicy or None, not {cache!r}"
        raise OptionTypeError(msg)
    return {CACHE_POLICY: cache}


def _tagged(
    obj: BaseTool | Callable[..., Any], kind: ToolKind, metadata: dict[str, Any]
) -> BaseTool:
    base = obj if isinstance(obj, BaseTool) else as_tool(obj)
    other = INOUT if kind == COMPUTE else COMPUTE
    tags = [t for t in (base.tags or []) if t != other]
    if kind not in tags:
        tags.append(kind)
    update: dict[str, Any] = {"tags": tags}
    if metadata:  # a tool that declares nothing keeps its metadata object as it was
        update["metadata"] = {**(base.metadata or {}), **metadata}
    return base.model_copy(update=update)


@overload
def compute(obj: BaseTool, /, *, cache: CachePolicy[Any] | None = None) -> BaseTool: ...
@overload
def compute(obj: Callable[..., Any], /, *, cache: CachePolicy[Any] | None = None) -> BaseTool: ...
def compute(
    obj: BaseTool | Callable[..., Any], /, *, cache: CachePolicy[Any] | None = None
) -> BaseTool:
    """Mark a tool (or plain function) as CPU-bound: it runs on the worker-process pool.

    Use it for calls that hold a processor until they finish (numerics, image
    processing, a model running on this CPU). At most one compute call runs per
    processor at a time.

    Args:
        obj: a LangChain tool, or a function with type hints and a docstring.
        cache: reuse the tool's results for equal arguments (`CachePolicy(ttl=...)`;
            see `Orchestrator`'s `cache`). Only for tools without side effects.

    Returns:
        A copy of the tool with `"compute"` in its tags.

    Example:
        ```python
        from langchain_llmorch import compute

        @compute
        def fib(n: int) -> int:
            \"\"\"The n-th Fibonacci number, slowly.\"\"\"
            return n if n < 2 else fib.func(n - 1) + fib.func(n - 2)
        ```
    """
    return _tagged(obj, COMPUTE, _cache_metadata(cache))


@overload
def inout(obj: BaseTool, /, *, cache: CachePolicy[Any] | None = None) -> BaseTool: ...
@overload
def inout(obj: Callable[..., Any], /, *, cache: CachePolicy[Any] | None = None) -> BaseTool: ...
def inout(
    obj: BaseTool | Callable[..., Any], /, *, cache: CachePolicy[Any] | None = None
) -> BaseTool:
    """Mark a tool (or plain function) as I/O-bound: it overlaps freely with other calls.

    Async tools are awaited on the event loop; sync ones run in a bounded thread
    pool. Untagged tools are `inout` too; tagging makes the intent explicit.

    Args:
        obj: a LangChain tool, or a function with type hints and a docstring.
        cache: reuse the tool's results for equal arguments (`CachePolicy(ttl=...)`;
            see `Orchestrator`'s `cache`). Only for tools without side effects.

    Returns:
        A copy of the tool with `"inout"` in its tags.

    Example:
        ```python
        from langgraph.types import CachePolicy
        from langchain_llmorch import inout

        @inout
        async def search(query: str) -> str:
            \"\"\"Search the web.\"\"\"
            return "..."

        # the same look-up within ten minutes is answered from the cache
        cached_search = inout(search, cache=CachePolicy(ttl=600))
        ```
    """
    return _tagged(obj, INOUT, _cache_metadata(cache))


def tool_kind(tool: BaseTool) -> ToolKind:
    """The kind of a tool: `"compute"` when tagged so, else `"inout"`.

    Example:
        ```python
        from langchain_llmorch import compute
        from langchain_llmorch.tools import tool_kind

        assert tool_kind(compute(lambda x: x)) == "compute"
        ```
    """
    return COMPUTE if COMPUTE in (tool.tags or []) else INOUT


def tools_by_name(tools: Sequence[BaseTool | Callable[..., Any]]) -> dict[str, BaseTool]:
    """Index tools by name, converting plain functions into tools.

    Raises:
        ValueError: when two tools share a name or a tool uses a built-in name.
    """
    out: dict[str, BaseTool] = {}
    for item in tools:
        tool = item if isinstance(item, BaseTool) else as_tool(item)
        if tool.name in out:
            msg = f"two tools are named {tool.name!r}; tool names must be unique"
            raise ValueError(msg)
        out[tool.name] = tool
    return out


def _message_text(message: BaseMessage) -> str:
    text = message.text
    return text if isinstance(text, str) else str(text)


class _SelfInput(BaseModel):
    """`self` takes a prompt and nothing else."""

    model_config = ConfigDict(extra="forbid")
    prompt: str


def _self_config(config: RunnableConfig, callbacks: BaseCallbackManager | None) -> RunnableConfig:
    """The model run of a `self` call: nested under the tool's run, marked as `self`."""
    return merge_configs(patch_config(config, callbacks=callbacks), request_config("self"))


def make_self_tool(model: BaseChatModel, *, kind: ToolKind = INOUT) -> BaseTool:
    """The built-in `self(prompt)` tool: the agent's own model answering a prompt.

    Args:
        model: the chat model of the agent.
        kind: `"inout"` for a remote model (default); `"compute"` when the model
            runs on this machine's CPU and so occupies a processor.

    Example:
        ```python
        from langchain_core.language_models.fake_chat_models import FakeListChatModel
        from langchain_llmorch.tools import make_self_tool

        tool = make_self_tool(FakeListChatModel(responses=["42"]))
        assert tool.invoke({"prompt": "6 * 7?"}) == "42"
        ```
    """

    # The tool's run hands its child callbacks in `callbacks`: the model's run nests
    # under the tool's run, with the call's tags and metadata from `config`.
    def _self(
        prompt: str, config: RunnableConfig, callbacks: BaseCallbackManager | None = None
    ) -> str:
        return _message_text(model.invoke(prompt, _self_config(config, callbacks)))

    async def _aself(
        prompt: str, config: RunnableConfig, callbacks: BaseCallbackManager | None = None
    ) -> str:
        reply = await model.ainvoke(prompt, _self_config(config, callbacks))
        return _message_text(reply)

    tool = StructuredTool.from_function(
        func=_self,
        coroutine=_aself,
        name=SELF_TOOL,
        args_schema=_SelfInput,
        description=(
            "self(prompt: str) -> str: ask the assistant's own language model to answer, "
            "summarise, compare or compute something from text. Reference earlier results "
            'inside the prompt, e.g. self(prompt="Average of {s1} and {s2}").'
        ),
    )
    # A chat model does not pickle: `self` always runs in this process. As a compute
    # call it still takes one of the run's P processors while it runs.
    return tool.model_copy(update={"tags": [kind], "metadata": {IN_PROCESS: True}})
