"""The driver of the Ray node-loss test, in its own process (Ray stays out of pytest's).

    python -m tests.unit_tests.backends._ray_node_loss ADDRESS LOG GATE

Connects to the Ray cluster at ADDRESS and runs an agent whose plan is four compute calls
(`nap`, below: each notes `start N PID` / `done N PID` in LOG and waits for the file GATE)
and an answer step, once the cluster has its 2 CPUs (the second node may still be joining
when this starts). Prints the run as JSON: results, errors, recoveries and the trace.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import ray

from langchain_llmorch import compute, create_llmorch_agent
from langchain_llmorch.backends.ray import RayExecutor
from langchain_llmorch.testing import planner_or


@compute
def nap(n: int, log: str, gate: str) -> int:
    """Note the start, wait for the gate file, note the end; return n * 10."""
    with Path(log).open("a") as f:
        f.write(f"start {n} {os.getpid()}\n")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Path(gate).exists():
        time.sleep(0.02)
    with Path(log).open("a") as f:
        f.write(f"done {n} {os.getpid()}\n")
    return n * 10


def main(address: str, log: str, gate: str) -> None:
    plan = "\n".join(
        [
            *(f's{n}: nap(n={n}, log="{log}", gate="{gate}")' for n in range(1, 5)),
            's5: self(prompt="{s1} {s2} {s3} {s4}")',
        ]
    )
    ray.init(address=address, log_to_driver=False, configure_logging=False)
    deadline = time.monotonic() + 240  # the second node may still be joining
    while ray.cluster_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    with RayExecutor() as executor:
        model = planner_or(plan, answer=lambda request: request.rsplit("\n", 1)[-1])
        agent = create_llmorch_agent(model, [nap], executor=executor)
        out = agent.invoke({"messages": [("user", "nap 1-4")]})
        processors = executor.processors
    keys = ("id", "attempt", "pid", "node", "error")
    trace = [{key: record[key] for key in keys} for record in out["trace"]]
    report = {
        "processors": processors,
        "results": out["results"],
        "errors": out["errors"],
        "recoveries": out["recoveries"],
        "trace": trace,
    }
    print(json.dumps(report))  # noqa: T201 - the test reads it
    ray.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:4])
