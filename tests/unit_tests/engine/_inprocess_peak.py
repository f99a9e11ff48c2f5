# ruff: noqa: T201 -- a measurement script: it reports on stdout
"""Measure the in-process side of the machine-wide bound (the issue's two in-process cases).

`python -m tests.unit_tests.engine._inprocess_peak` prints, as JSON, the peak number of
compute calls running at once (from the trace timestamps):

- `orchestrators_2_1_3`: three orchestrators with `max_processors` 2, 1 and 3 run 4 CPU-bound
  calls each at the same time on one event loop;
- `agents_16_self_compute`: 16 agents made with `create_llmorch_agent(..., self_kind="compute")`
  answer at once, from 16 threads; each plan has three `self` calls that spin the CPU in this
  process (a local model).

Run it with `LLMORCH_SLOT_GROUP=off` to see the per-pool bound alone.

`python -m tests.unit_tests.engine._inprocess_peak overhead` prints instead the dispatch
overhead per compute call as the engine benchmark measures it (a 200-call chain of calls that
return at once), with the slots on and off, alternating, five times each, in ms per call.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import Any

from langchain_llmorch import Orchestrator, build_frg, create_llmorch_agent, parse_plan
from langchain_llmorch.processes.slots import machine_slots
from langchain_llmorch.testing import planner_or
from tests.unit_tests.processes._slot_run import expected, peak, work

LOOPS = 2_000_000
SELF_LOOPS = 300_000


def _spans(records: list[Any]) -> list[tuple[float, float]]:
    return [(r.started_at, r.ended_at) for r in records if r.kind == "compute"]


async def orchestrators() -> dict[str, Any]:
    frg = build_frg(
        parse_plan("\n".join(f"s{i}: work(n={i}, loops={LOOPS})" for i in range(4))), [work]
    )
    orchs = [Orchestrator([work], max_processors=m) for m in (2, 1, 3)]
    for orch in orchs:
        orch.warm()
    results = await asyncio.gather(*(orch.arun(frg) for orch in orchs))
    ok = all(res.results == {f"s{i}": expected(i, LOOPS) for i in range(4)} for res in results)
    return {"peak": peak([s for res in results for s in _spans(res.trace)]), "all_ok": ok}


def _think(prompt: str) -> str:
    total = 0
    for i in range(SELF_LOOPS):
        total = (total + i * i) % 1_000_003
    return f"{prompt[-20:]}:{total}"


def agents() -> dict[str, Any]:
    plan = 's1: self(prompt="a")\ns2: self(prompt="b")\ns3: self(prompt="both {s1} {s2}")'
    outputs: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one() -> None:
        agent = create_llmorch_agent(planner_or(plan, answer=_think), [], self_kind="compute")
        out = agent.invoke({"messages": [("user", "go")]})
        with lock:
            outputs.append(out)

    threads = [threading.Thread(target=one) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = [r for out in outputs for r in out["trace"] if r["kind"] == "compute"]
    spans = [(r["started_at"], r["ended_at"]) for r in records]
    ok = len(outputs) == 16 and all(not out.get("failure") for out in outputs)
    return {"peak": peak(spans), "compute_calls": len(spans), "all_ok": ok}


def overhead() -> dict[str, list[float]]:
    from bench.engine import noop_compute

    chain = ["s0: noop_compute(i=0)"] + [f"s{i}: noop_compute(i=s{i - 1})" for i in range(1, 200)]
    frg = build_frg(parse_plan("\n".join(chain)), [noop_compute])
    orchs = {"on": Orchestrator([noop_compute], max_processors=2)}
    orchs["off"] = Orchestrator([noop_compute], max_processors=2, slot_group="off")
    for orch in orchs.values():
        orch.warm()
        orch.run(frg)
    out: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(5):
        for name, orch in orchs.items():
            start = time.perf_counter()
            orch.run(frg)
            out[name].append(round((time.perf_counter() - start) * 1000 / len(chain), 3))
    return out


def main() -> None:
    if sys.argv[1:] == ["overhead"]:
        print(json.dumps(overhead()))
        return
    slots = machine_slots()
    print(
        json.dumps(
            {
                "slots": None if slots is None else slots.size,
                "orchestrators_2_1_3": asyncio.run(orchestrators()),
                "agents_16_self_compute": agents(),
            }
        )
    )


if __name__ == "__main__":
    main()
