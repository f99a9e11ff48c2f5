"""LLMOrch inside LangChain 1.x `create_agent`: `LLMOrchMiddleware`.

`_middleware` holds the middleware; `_calls` routes one tool call (the pool, or ToolNode's
path under a bound and a timeout); `_tools` the tool copies it hands to `ToolNode` (compute
calls on the worker pool, sync inout calls on abandonable threads) and the checks of
compute tools; `_limits` the concurrency limit shared by threads and tasks. Plan-first
mode: `_plan_first` (a plan's calls as dataflow), `_planned_calls` (one planned call in
its tool task: its inputs, its run, its recovery, its result handed on), `_streaming`
(calls started while the plan streams) and `_recovery` (a failed call rewritten by the
model).
"""

from langchain_llmorch.agent.middleware._middleware import LLMOrchMiddleware
from langchain_llmorch.agent.middleware._tools import ComputeToolError

__all__ = ["ComputeToolError", "LLMOrchMiddleware"]
