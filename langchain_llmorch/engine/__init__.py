"""The engine: runs an FRG.

- `orchestrator`: the `Orchestrator`, which carries every engine knob (processors, policy,
  timeouts, threads, load, slots, resources, the tool-result cache) and runs plans;
- `_coordinator`: one run of an FRG, the scheduler and coordinator;
- `policies`: the run's scheduling policies (dataflow and paper): priorities, when calls start;
- `admission`: resources calls hold while they run (capacities, per-tool limits);
- `gating`: one run's held calls (resources, per-tool limits, order) and when they start;
- `scheduling`: the plan-time order simulation and lower bounds;
- `calls`: the runner of one call (inout in a thread or on the loop, compute on the pool);
- `cache`: cached results of cacheable tools, identical calls run once;
- `reuse`: one run's cacheable calls: looked up when ready, reused, or run and stored;
- `events`: trace records and the typed stream events;
- `load`: the load monitor (`respect_load`); `backend`: the compute-backend protocol and
  the shared thread pools.
"""

from langchain_llmorch.engine.events import RunResult, TraceRecord
from langchain_llmorch.engine.orchestrator import Orchestrator

__all__ = ["Orchestrator", "RunResult", "TraceRecord"]
