"""langchain-llmorch: plan-first, CPU-aware parallel tool orchestration for LangChain.

An LLM writes the whole plan of tool calls once; the plan becomes a Function-call
Relation Graph; a coordinator runs it with I/O-bound (`inout`) calls overlapping
freely and CPU-bound (`compute`) calls on a process pool bounded by the machine's
processors.
"""

from langchain_llmorch.agent import (
    LLMOrchAgentExecutor,
    LLMOrchMiddleware,
    build_llmorch_graph,
    create_llmorch_agent,
)
from langchain_llmorch.engine import Orchestrator, RunResult, TraceRecord
from langchain_llmorch.errors import LLMOrchError, PlanSyntaxError, PlanValidationError
from langchain_llmorch.plan import FRG, Call, Plan, build_frg, parse_plan
from langchain_llmorch.tools import compute, inout
from langchain_llmorch.version import __version__

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
    "TraceRecord",
    "__version__",
    "build_frg",
    "build_llmorch_graph",
    "compute",
    "create_llmorch_agent",
    "inout",
    "parse_plan",
]
