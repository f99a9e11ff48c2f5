"""The engine: runs an FRG.

`orchestrator` holds the coordinator (dataflow and paper policies), `scheduling` the
plan-time priority simulation, `calls` the runner of one call (inout or compute),
`events` the trace records and stream events, `load` the load monitor, and `backend`
the compute-backend protocol and the shared thread pools.
"""

from langchain_llmorch.engine.events import RunResult, TraceRecord
from langchain_llmorch.engine.orchestrator import Orchestrator

__all__ = ["Orchestrator", "RunResult", "TraceRecord"]
