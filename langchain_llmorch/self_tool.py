"""The built-in `self(prompt)` tool: the agent's own model answering a prompt.

A plan writes `self(prompt="Average of {s1} and {s2}")` for a step no tool does; the agent
adds this tool for it, bound to its own chat model.
"""

from __future__ import annotations

from langchain_core.callbacks import BaseCallbackManager
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig, patch_config
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict

from langchain_llmorch.runs import request_config
from langchain_llmorch.tools import BUILTIN, IN_PROCESS, INOUT, SELF_TOOL, ToolKind


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
        from langchain_llmorch.self_tool import make_self_tool

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
            "Ask the assistant's own language model to answer, summarise, compare or "
            "compute something from text no tool gives. To use the results of calls above "
            "it, write their ids in braces in the prompt ({s1})."
        ),
    )
    # A chat model does not pickle: `self` always runs in this process. As a compute
    # call it still takes one of the run's P processors while it runs.
    metadata = {IN_PROCESS: True, BUILTIN: True}
    return tool.model_copy(update={"tags": [kind], "metadata": metadata})


__all__ = ["make_self_tool"]
