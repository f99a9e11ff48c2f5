"""A call whose parents finish at different times waits for the last one.

The coordinator must not release a child while one of its parents still runs (it
would fail with `DependencyFailedError`, or run twice): the engine's other tests
mostly use parents that finish together.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.engine.scheduling import DurationModel
from tests.unit_tests._prop_tools import TOOLS, mix

# s1 ends at once, s2 after 0.3 s, s3 after 0.15 s; s4 needs all three, s5 only s1.
PLANS = {
    "compute parents": (
        "s1: cpu(tag=1, inputs=[], ms=0)\ns2: cpu(tag=2, inputs=[], ms=300)\n"
        "s3: aio(tag=3, inputs=[], ms=150)\ns4: cpu(tag=4, inputs=[s1, s2, s3])\n"
        "s5: sio(tag=5, inputs=[s1])"
    ),
    "inout parents": (
        "s1: aio(tag=1, inputs=[], ms=0)\ns2: sio(tag=2, inputs=[], ms=300)\n"
        "s3: cpu(tag=3, inputs=[], ms=150)\ns4: aio(tag=4, inputs=[s1, s2, s3])\n"
        "s5: cpu(tag=5, inputs=[s1])"
    ),
}


@pytest.mark.parametrize("policy", ["dataflow", "paper"])
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", list(PLANS))
def test_a_child_waits_for_its_slowest_parent(policy: str, mode: str, name: str) -> None:
    frg = build_frg(parse_plan(PLANS[name]), TOOLS)
    orch = Orchestrator(TOOLS, max_processors=2, policy=policy, durations=DurationModel())  # type: ignore[arg-type]
    events: list[dict[str, Any]] = []
    if mode == "sync":
        run = orch.run(frg, on_event=events.append)
    else:
        run = asyncio.run(orch.arun(frg, on_event=events.append))
    assert run.ok, run.errors
    one, two, three = mix(1, []), mix(2, []), mix(3, [])
    assert run.results["s4"] == mix(4, [one, two, three])
    assert run.results["s5"] == mix(5, [one])
    order = [(e["event"], e["id"]) for e in events]
    assert len(order) == len(set(order))  # every call scheduled, started, finished once
    # s4 is scheduled only after its slowest parent (s2) finished; s5 long before that.
    assert order.index(("finished", "s2")) < order.index(("scheduled", "s4"))
    assert order.index(("finished", "s3")) < order.index(("scheduled", "s4"))
    assert order.index(("scheduled", "s5")) < order.index(("finished", "s2"))
    by_id = {r.id: r for r in run.trace}
    assert by_id["s2"].ended_at <= by_id["s4"].started_at
    assert by_id["s5"].started_at < by_id["s2"].ended_at
    assert [r.id for r in run.trace].count("s4") == 1
