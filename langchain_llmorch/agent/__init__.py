"""The agent: a LangGraph graph (planner -> coordinator -> joiner, with repair).

Wiring and settings:
- `graph`: `create_llmorch_agent` / `build_llmorch_graph`, the wiring diagram;
- `options`: the agent's options and their defaults, declared once (`AgentOptions`);
- `state`: the graph's state, its input schema, and the context the nodes share;
- `models`: model strings (`"openai:gpt-4o-mini"`) to chat models.

The nodes and what they ask for:
- `nodes`: planner, coordinator, repair and joiner, each one generator for sync and async;
- `requests`: every request a node makes (model, run, streamed plan) and its typed reply;
  `serving` serves them (`drive`, `adrive`, the model requests), `call_serving` those that
  run calls;
- `prompts`: the planner's, repair's, recovery's and joiner's messages;
- `checks`: doubts about a small model's first plan; `answer`: answer steps and numbers;
- `recovery`: recovery points and rewrites of failed calls;
- `approval`: pausing with the plan for a human; `durable`: per-call checkpoints
  (`durable_tasks`: each call's LangGraph task, when a call waits for it, its config);
- `streaming`: plan lines handed to the coordinator while the model writes them.

`executor/` is the `AgentExecutor` drop-in.
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
