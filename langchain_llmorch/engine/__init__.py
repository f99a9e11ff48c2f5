"""The engine: runs an FRG.

- `orchestrator`: the `Orchestrator`, which carries every engine knob (processors, policy,
  timeouts, threads, load, slots, resources, the tool-result cache) and runs plans;
- `_coordinator`: one run of an FRG, the scheduler and coordinator (dataflow and paper);
- `admission`: calls that wait for resources, per-tool limits or their order;
- `scheduling`: the plan-time order simulation and lower bounds;
- `calls`: the runner of one call (inout in a thread or on the loop, compute on the pool);
- `cache`: cached results of cacheable tools, identical calls run once;
- `events`: trace records and the typed stream events;
- `load`: the load monitor (`respect_load`); `backend`: the compute-backend protocol and
  the shared thread pools.
"""

from langchain_llmorch.engine.events import RunResult, TraceRecord
from langchain_llmorch.engine.orchestrator import Orchestrator

__all__ = ["Orchestrator", "RunResult", "TraceRecord"]
