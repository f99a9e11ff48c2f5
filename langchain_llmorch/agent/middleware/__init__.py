"""LLMOrch inside LangChain 1.x `create_agent`: `LLMOrchMiddleware`.

`_middleware` holds the middleware, `_tools` the tool copies it hands to `ToolNode`
(compute calls on the worker pool, sync inout calls on abandonable threads) and the
checks of compute tools, and `_limits` the concurrency limit shared by threads and tasks.
"""

from langchain_llmorch.agent.middleware._middleware import LLMOrchMiddleware
from langchain_llmorch.agent.middleware._tools import ComputeToolError

__all__ = ["ComputeToolError", "LLMOrchMiddleware"]
