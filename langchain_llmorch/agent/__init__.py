"""The agent: a LangGraph graph (planner -> coordinator -> joiner, with repair).

`graph` wires it (`create_llmorch_agent`, `build_llmorch_graph`), `nodes` holds the
nodes, `state` the graph's state and run context, `prompts` the prompts, `recovery`
the run-time recovery of failed calls, and `executor` the `AgentExecutor` drop-in.
"""

from typing import TYPE_CHECKING, Any

from langchain_llmorch.agent.executor import LLMOrchAgentExecutor
from langchain_llmorch.agent.graph import build_llmorch_graph, create_llmorch_agent

if TYPE_CHECKING:
    from langchain_llmorch.agent.middleware import LLMOrchMiddleware

__all__ = [
    "LLMOrchAgentExecutor",
    "LLMOrchMiddleware",
    "build_llmorch_graph",
    "create_llmorch_agent",
]


def __getattr__(name: str) -> Any:
    """`LLMOrchMiddleware` needs `langchain.agents`: it is imported on first use."""
    if name == "LLMOrchMiddleware":
        from langchain_llmorch.agent.middleware import LLMOrchMiddleware  # noqa: PLC0415

        return LLMOrchMiddleware
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
