"""One CPU bound for the machine: orchestrators, pools, processes and in-process calls share it.

Concurrency is read from the trace records' own timestamps (`started_at`, `ended_at`), never
from wall-clock durations. The bound is P=2 here (`LLMORCH_MAX_PROCESSORS`), whatever the
machine, and the slots are private to the test session (see conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from langchain_core.tools import StructuredTool

from langchain_llmorch import Orchestrator, build_frg, compute, parse_plan
from langchain_llmorch.engine.events import RunResult
from langchain_llmorch.processes.cpus import MAX_PROCESSORS_ENV
from langchain_llmorch.tools import COMPUTE, IN_PROCESS
from tests.unit_tests import _pool_funcs as funcs
from tests.unit_tests.processes._slot_run import drive, peak

P = 2


@pytest.fixture(autouse=True)
def two_processors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_PROCESSORS_ENV, str(P))


@compute
def nap(n: int) -> int:
    """Sleep a moment in a worker; return n."""
    funcs.sleep_for(0.05)
    return n


async def _think(prompt: str) -> str:
    await asyncio.sleep(0.02)
    return prompt.upper()


# Like `self` over a local model: a compute call that runs in this process, not on the pool.
local_self = StructuredTool.from_function(
    coroutine=_think, name="self", description="answer from a local model"
).model_copy(update={"tags": [COMPUTE], "metadata": {IN_PROCESS: True}})


def compute_spans(results: Iterable[RunResult]) -> list[tuple[float, float]]:
    return [(r.started_at, r.ended_at) for res in results for r in res.trace if r.kind == COMPUTE]


def plan_of_naps(count: int) -> str:
    return "\n".join(f"s{i}: nap(n={i})" for i in range(count))


async def test_orchestrators_of_sizes_2_1_3_together_peak_at_p() -> None:
    """max_processors 2, 1 and 3 run at once: at most P compute calls overlap, the 1 alone."""
    frg = build_frg(parse_plan(plan_of_naps(4)), [nap])
    orchs = [Orchestrator([nap], max_processors=m) for m in (2, 1, 3)]
    for orch in orchs:
        orch.warm()
    results = await asyncio.gather(*(orch.arun(frg) for orch in orchs))
    assert all(res.results == {f"s{i}": i for i in range(4)} for res in results)
    assert peak(compute_spans(results)) == P
    assert peak(compute_spans(results[1:2])) == 1
    assert [o.processors for o in orchs] == [2, 1, 2]  # a cap, never a lift


def test_max_processors_never_lifts_the_bound_unless_slots_are_off() -> None:
    """Above the machine's P, max_processors is cut to P; with the slots off it stands."""
    assert Orchestrator([nap], max_processors=5).processors == P
    assert Orchestrator([nap], max_processors=5, slot_group="off").processors == 5
    with pytest.raises(ValueError, match="slot group"):
        Orchestrator([nap], slot_group="../elsewhere")


async def test_in_process_compute_calls_of_16_runs_peak_at_p() -> None:
    """16 concurrent runs of in-process compute calls (`self` on a local model) share P slots."""
    frg = build_frg(
        parse_plan('s1: self(prompt="a")\ns2: self(prompt="b")'), [local_self], self_kind=COMPUTE
    )
    orch = Orchestrator({"self": local_self}, max_processors=P)
    results = await asyncio.gather(*(orch.arun(frg) for _ in range(16)))
    assert all(res.results == {"s1": "A", "s2": "B"} for res in results)
    spans = compute_spans(results)
    assert len(spans) == 32
    assert peak(spans) == P


async def test_in_process_compute_calls_overlap_freely_with_slots_off() -> None:
    """The same 16 runs with the slots off go past P: the test above can fail."""
    frg = build_frg(
        parse_plan('s1: self(prompt="a")\ns2: self(prompt="b")'), [local_self], self_kind=COMPUTE
    )
    orch = Orchestrator({"self": local_self}, max_processors=P, slot_group="off")
    results = await asyncio.gather(*(orch.arun(frg) for _ in range(16)))
    assert peak(compute_spans(results)) > P


async def test_pool_and_in_process_compute_calls_share_the_slots() -> None:
    """Worker-pool calls and in-process compute calls of one plan count against one bound."""
    plan = plan_of_naps(3) + '\ns3: self(prompt="x")\ns4: self(prompt="y")'
    frg = build_frg(parse_plan(plan), [nap, local_self], self_kind=COMPUTE)
    orch = Orchestrator([nap, local_self], max_processors=P)
    orch.warm()
    results = await asyncio.gather(*(orch.arun(frg) for _ in range(3)))
    assert all(not res.errors for res in results)
    assert peak(compute_spans(results)) == P


async def test_max_processors_1_caps_pool_and_in_process_calls_together() -> None:
    """With max_processors=1, a pool call and an in-process compute call never overlap."""
    plan = plan_of_naps(2) + '\ns2: self(prompt="x")\ns3: self(prompt="y")'
    frg = build_frg(parse_plan(plan), [nap, local_self], self_kind=COMPUTE)
    orch = Orchestrator([nap, local_self], max_processors=1)
    orch.warm()
    results = await asyncio.gather(*(orch.arun(frg) for _ in range(2)))
    assert all(not res.errors for res in results)
    assert peak(compute_spans(results)) == 1


def test_three_processes_with_default_settings_peak_at_p(tmp_path: Path) -> None:
    """3 processes, each its own orchestrator and warm pool, 4 compute calls each: peak P."""
    env = {**os.environ, MAX_PROCESSORS_ENV: str(P), "PYTHONPATH": os.pathsep.join(sys.path)}
    summary = drive(3, ["--calls=4", "--seconds=0.1"], tmp_path / "go", env=env)
    assert summary["all_ok"]
    assert summary["calls"] == 12
    assert summary["peak"] == P
