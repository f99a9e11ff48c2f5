"""langchain-llmorch: plan-first, CPU-aware parallel tool orchestration for LangChain.

An LLM writes the whole plan of tool calls once; the plan becomes a Function-call
Relation Graph; a coordinator runs it with I/O-bound (`inout`) calls overlapping
freely and CPU-bound (`compute`) calls on a process pool bounded by the machine's
processors.
"""

from typing import TYPE_CHECKING, Any

from langchain_llmorch.agent import LLMOrchAgentExecutor, build_llmorch_graph, create_llmorch_agent
from langchain_llmorch.engine import Orchestrator, RunResult, TraceRecord
from langchain_llmorch.engine.events import StreamEvent
from langchain_llmorch.errors import LLMOrchError, PlanSyntaxError, PlanValidationError
from langchain_llmorch.plan import FRG, Call, Plan, build_frg, parse_plan
from langchain_llmorch.tools import compute, inout
from langchain_llmorch.version import __version__

if TYPE_CHECKING:
    from langchain_llmorch.agent.middleware import LLMOrchMiddleware


def __getattr__(name: str) -> Any:
    """`LLMOrchMiddleware` needs `langchain.agents`: it is imported on first use."""
    if name == "LLMOrchMiddleware":
        from langchain_llmorch.agent.middleware import LLMOrchMiddleware  # noqa: PLC0415

        return LLMOrchMiddleware
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "FRG",
    "Call",
    "LLMOrchAgentExecutor",
    "LLMOrchError",
    "LLMOrchMiddleware",
    "Orchestrator",
    "Plan",
    "PlanSyntaxError",
    "PlanValidationError",
    "RunResult",
    "StreamEvent",
    "TraceRecord",
    "__version__",
    "build_frg",
    "build_llmorch_graph",
    "compute",
    "create_llmorch_agent",
    "inout",
    "parse_plan",
]
