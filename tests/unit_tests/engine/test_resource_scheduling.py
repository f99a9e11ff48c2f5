"""The plan-time simulation and lower bound with resources and order edges."""

from __future__ import annotations

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.engine.scheduling import (
    bottom_levels,
    choose_order,
    lower_bound,
    resource_work,
    simulate,
)
from langchain_llmorch.plan.frg import FRG
from tests.unit_tests.engine._resource_tools import append_line, idle, limited, on_cpu, on_gpu

TOOLS = [on_gpu, on_cpu, limited, append_line, idle]
GPU_FIRST = "\n".join(
    [f"g{i}: on_gpu()" for i in range(1, 5)] + [f"c{i}: on_cpu()" for i in range(1, 5)]
)


def frg_of(text: str) -> FRG:
    return build_frg(parse_plan(text), TOOLS)


def ones(frg: FRG) -> dict[str, float]:
    return dict.fromkeys(frg.calls, 1.0)


def test_the_lower_bound_counts_resource_work_over_its_capacity() -> None:
    frg = frg_of(GPU_FIRST)
    durations = ones(frg)
    assert resource_work(frg, durations) == {"gpu": 4.0}
    assert lower_bound(frg, durations, 2) == 4.0  # 8 calls / 2 processors
    assert lower_bound(frg, durations, 8) == 1.0
    assert lower_bound(frg, durations, 8, capacities={"gpu": 1}) == 4.0
    assert lower_bound(frg, durations, 8, capacities={"gpu": 2}) == 2.0


def test_the_simulation_runs_gpu_calls_one_at_a_time_and_backfills() -> None:
    frg = frg_of(GPU_FIRST)
    durations = ones(frg)
    fifo = {cid: float(i) for i, cid in enumerate(frg.calls)}
    # Without the GPU's capacity, 8 processors would run everything at once.
    assert simulate(frg, durations, 8, fifo) == 1.0
    assert simulate(frg, durations, 8, fifo, capacities={"gpu": 1}) == 4.0
    # On 2 processors the CPU calls fill the processor the GPU calls leave.
    assert simulate(frg, durations, 2, fifo, capacities={"gpu": 1}) == 4.0


def test_the_chosen_order_reaches_the_resource_aware_bound() -> None:
    # A GPU call feeds a long chain: it must go first, though it is last in the plan.
    text = "\n".join(
        [f"g{i}: on_gpu()" for i in range(1, 4)]
        + ["g4: on_gpu()", "c1: on_cpu(tag=g4)", "c2: on_cpu(tag=c1)", "c3: on_cpu(tag=c2)"]
    )
    frg = frg_of(text)
    durations = ones(frg)
    choice = choose_order(frg, durations, 2, capacities={"gpu": 1})
    assert choice.lower_bound == 4.0
    assert choice.candidates["fifo"] == 7.0  # g4 last: its chain of 3 runs after it
    assert choice.makespan == 4.0
    assert choice.priority["g4"] < min(choice.priority[f"g{i}"] for i in range(1, 4))


def test_order_edges_are_part_of_the_critical_path() -> None:
    text = "\n".join(f's{i}: append_line(path="x", line="{i}")' for i in range(1, 5))
    frg = frg_of(text)
    durations = ones(frg)
    assert bottom_levels(frg, durations)["s1"] == 4.0
    assert lower_bound(frg, durations, 2) == 4.0
    fifo = {cid: float(i) for i, cid in enumerate(frg.calls)}
    assert simulate(frg, durations, 2, fifo) == 4.0


def test_a_tool_limit_enters_the_simulation() -> None:
    frg = frg_of("\n".join(f"s{i}: limited()" for i in range(1, 11)))
    durations = ones(frg)
    fifo = {cid: float(i) for i, cid in enumerate(frg.calls)}
    assert simulate(frg, durations, 2, fifo, capacities=frg.limits) == 5.0
    assert lower_bound(frg, durations, 2, capacities=frg.limits) == 5.0


def test_a_demand_that_can_never_be_met_simulates_as_infinite() -> None:
    frg = frg_of("s1: on_gpu()")
    assert simulate(frg, ones(frg), 2, {"s1": 0.0}, capacities={"gpu": 0.5}) == float("inf")
